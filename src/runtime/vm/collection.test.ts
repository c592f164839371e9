// The VM collection: tail-call chains and the tail-call limit (against the kernel), global data
// seen from user space, user-space map updates changing a program's verdict, read-only .rodata,
// load-time refusals (missing helpers, helpers the type may not call), trace_printk capture,
// and use after close.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { ClosedError, MemoryFault, NotSupportedError, VerifierError } from '../../errors.js';
import type { Instruction } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';
import { exampleSpec, packet } from '../../kernel/test-fixtures.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../program/index.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64s = (b: Uint8Array | undefined) => [...new BigUint64Array(b!.slice().buffer)];

function program(
  name: string,
  text: string,
  refs: Record<number, string> = {},
  type: ProgramSpec['type'] = 'XDP',
): ProgramSpec {
  // `r1 = 0 ll` placeholders at the given instruction indices become map loads (BPF_PSEUDO_MAP_FD).
  const instructions: Instruction[] = assemble(text).map((i, k) =>
    refs[k] === undefined ? i : { ...i, src: 1, reference: refs[k] },
  );
  return {
    name,
    sectionName: 'xdp',
    type,
    flags: 0,
    instructions,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
}

const map = (
  name: string,
  type: MapSpec['type'],
  keySize: number,
  valueSize: number,
  maxEntries: number,
  contents?: MapSpec['contents'],
): MapSpec => ({
  name,
  type,
  keySize,
  valueSize,
  maxEntries,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
  ...(contents === undefined ? {} : { contents }),
});

test('xdp_tailcall: dispatch -> tail_ipv4 -> tail_tcp drops telnet; .bss counts every stage', () => {
  using c = load(exampleSpec('xdp_tailcall.v3.o'));
  assert.equal(c.program('xdp_dispatch').run({ data: packet('ipv4_tcp_telnet') }).retval, 1);
  assert.deepEqual(u64s(c.map('.bss').lookup(u32(0))), [1n, 1n, 0n, 1n]);
  assert.equal(c.program('xdp_dispatch').run({ data: packet('ipv6_tcp_syn') }).retval, 2);
  assert.equal(c.program('xdp_dispatch').run({ data: packet('arp_request') }).retval, 2);
  assert.deepEqual(u64s(c.map('.bss').lookup(u32(0))), [3n, 1n, 1n, 1n]);
  // Emptying the slot from user space makes the tail call fall through (ipv4 passes untouched).
  c.map('jmp_table').delete(u32(0));
  assert.equal(c.program('xdp_dispatch').run({ data: packet('ipv4_tcp_telnet') }).retval, 2);
  assert.deepEqual(u64s(c.map('.bss').lookup(u32(0))), [4n, 1n, 1n, 1n]);
});

test('a program tail-calling itself stops after MAX_TAIL_CALL_CNT (33), as the kernel does', { skip }, () => {
  const text = [
    'r6 = r1',
    'r1 = 0',
    '*(u32 *)(r10 - 4) = r1',
    'r1 = 0 ll', // 3: cnt
    'r2 = r10',
    'r2 += -4',
    'call 1',
    'if r0 == 0 goto +2',
    'r1 = 1',
    'lock *(u64 *)(r0 + 0) += r1',
    'r1 = r6',
    'r2 = 0 ll', // 11: jt
    'r3 = 0',
    'call 12',
    'r0 = 7',
    'exit',
  ].join('\n');
  const spec: CollectionSpec = {
    programs: [program('selfcall', text, { 3: 'cnt', 11: 'jt' })],
    maps: [
      map('jt', 'PROG_ARRAY', 4, 4, 1, { kind: 'programs', slots: [{ index: 0, program: 'selfcall' }] }),
      map('cnt', 'ARRAY', 4, 8, 1),
    ],
    variables: [],
    license: 'GPL',
  };
  const data = packet('ipv4_udp');
  using k = loadKernel(spec, { btf: false });
  using v = load(spec);
  const kr = k.program('selfcall').run({ data });
  const vr = v.program('selfcall').run({ data });
  assert.equal(vr.retval, kr.retval);
  assert.deepEqual(u64s(v.map('cnt').lookup(u32(0))), u64s(k.map('cnt').lookup(u32(0))));
  assert.deepEqual(u64s(v.map('cnt').lookup(u32(0))), [34n]);
  // repeat runs the whole chain again each time, on both backends.
  k.program('selfcall').run({ data, repeat: 3 });
  v.program('selfcall').run({ data, repeat: 3 });
  assert.deepEqual(u64s(v.map('cnt').lookup(u32(0))), u64s(k.map('cnt').lookup(u32(0))));
});

test('xdp_global_data: .bss counters, .data budget updated from user space changes the verdict', () => {
  using c = load(exampleSpec('xdp_global_data.v3.o'));
  const telnet = packet('ipv4_tcp_telnet');
  for (let k = 0; k < 3; k++) assert.equal(c.program('xdp_global_data').run({ data: telnet }).retval, 1);
  assert.equal(c.program('xdp_global_data').run({ data: packet('ipv4_udp') }).retval, 2);
  const bss = u64s(c.map('.bss').lookup(u32(0)));
  assert.equal(bss[0], 4n); // seen_packets
  assert.equal(bss[3], 3n); // dropped_packets
  assert.deepEqual(u64s(c.map('.data').lookup(u32(0))), [997n]);
  c.map('.data').update(u32(0), new Uint8Array(8)); // drop_budget = 0: telnet now passes
  assert.equal(c.program('xdp_global_data').run({ data: telnet }).retval, 2);
  // .rodata is read-only to programs (BPF_F_RDONLY_PROG) but readable from user space.
  assert.equal(c.map('.rodata').lookup(u32(0))![0], 23);
});

test('a program writing .rodata faults at the store', () => {
  const spec = exampleSpec('xdp_global_data.v3.o');
  const writer = program('writer', 'r1 = 0 ll\nr2 = 1\n*(u8 *)(r1 + 0) = r2\nr0 = 2\nexit');
  const insns = writer.instructions.map((i, k) =>
    k === 0 ? { ...i, src: 2, hi: 0, reference: '.rodata' } : i,
  );
  // Unverified: the verifier (as the kernel's) refuses the store at load; the runtime stops it too.
  using c = load({ ...spec, programs: [{ ...writer, instructions: insns }] }, { verify: false });
  assert.throws(() => c.program('writer').run({ data: packet('ipv4_udp') }), MemoryFault);
});

test('load refuses a helper tsbpf lacks by name, and a helper the program type may not call', {
  skip,
}, () => {
  const lacking = { programs: [program('f', 'call 14\nexit')], maps: [], variables: [], license: 'GPL' };
  assert.throws(
    () => load(lacking),
    (e: unknown) =>
      e instanceof NotSupportedError && e.message.includes('helper bpf_get_current_pid_tgid (#14)'),
  );
  const store = program(
    's',
    'r2 = 0\nr3 = r10\nr3 += -8\nr4 = 4\nr5 = 0\ncall 9\nr0 = 0\nexit',
    {},
    'SOCKET_FILTER',
  );
  const spec = { programs: [store], maps: [], variables: [], license: 'GPL' };
  assert.throws(() => load(spec), VerifierError);
  assert.throws(() => loadKernel(spec, { btf: false }), VerifierError);
});

test('xdp_sample: bpf_printk and bpf_trace_printk(%pI4) lines are captured', () => {
  using c = load(exampleSpec('xdp_sample.v3.o'), {
    random: () => 64,
    clock: { ns: () => 123456789n },
    cpu: 1,
  });
  assert.equal(c.program('xdp_sample').run({ data: packet('ipv4_tcp_syn') }).retval, 2);
  assert.deepEqual(c.trace, [
    'xdp_sample: len=54 cpu=1 t=123456789',
    'xdp_sample: 10.0.0.1 -> 192.0.2.100\n',
  ]);
});

test('use after close throws ClosedError', () => {
  const c = load(exampleSpec('xdp_parse.v3.o'));
  const p = c.program('xdp_parse');
  const m = load(exampleSpec('xdp_count_array.v3.o'));
  const counters = m.map('proto_stats');
  c.close();
  m.close();
  assert.throws(() => p.run({ data: packet('ipv4_udp') }), ClosedError);
  assert.throws(() => c.programs, ClosedError);
  assert.throws(() => counters.lookup(u32(0)), ClosedError);
  c.close(); // idempotent
});

test('a memory fault escaping a run names the C source line of its pc', () => {
  // r2 = ctx->data_end; a byte at data_end + 100 (the old VM read it from the frame's tailroom).
  const p: ProgramSpec = {
    ...program('oob', 'r2 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 100)\nr0 = 2\nexit'),
    lineInfo: [
      {
        insnOff: 0,
        file: '/src/oob.c',
        text: '  void *end = (void *)(long)ctx->data_end;',
        line: 7,
        column: 2,
      },
      { insnOff: 1, file: '/src/oob.c', text: '  return *(char *)(end + 100);', line: 8, column: 9 },
    ],
  };
  // Unverified: the verifier refuses data_end + 100 at load (with the same source line).
  using c = load({ programs: [p], maps: [], variables: [], license: 'GPL' }, { verify: false });
  assert.throws(
    () => c.program('oob').run({ data: packet('ipv4_udp') }),
    (e: unknown) =>
      e instanceof MemoryFault &&
      e.pc === 1 &&
      e.source === 'oob.c:8: return *(char *)(end + 100);' &&
      /packet/.test(e.nearest ?? '') &&
      / at oob\.c:8: return/.test(e.message),
  );
});
