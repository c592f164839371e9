// The loader options both backends take (program subset, program type, map resize, variables)
// give the same collections and runs on the VM and the kernel; a program or map is put into a
// prog array from user space by its backend-neutral `fd`. Then the VM's own options: existing
// maps (mapReplacements), the embedder's helpers (stub or new id), memoryLimit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram } from '../../../test/gen/helper-parity.js';
import { BpfError, LoadError, TsbpfError } from '../../errors.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';
import { exampleSpec, packet } from '../../kernel/test-fixtures.js';
import type { CollectionSpec, SpecLoadOptions } from '../../program/index.js';
import type { Collection } from '../backend.js';

const avail = bpfAvailability();
const XDP_DROP = 1;
const XDP_PASS = 2;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

/** `f` on the VM and, where bpf() works, on the kernel, with the same spec and options. */
function both(
  spec: CollectionSpec,
  options: SpecLoadOptions,
  f: (c: Collection, backend: string) => void,
): void {
  {
    using c = load(spec, options);
    f(c, 'vm');
  }
  if (!avail.ok) return;
  using k = loadKernel(spec, options);
  f(k, 'kernel');
}

test('programs: a subset loads; a slot naming a program left out is empty; user space fills it by fd', () => {
  const spec = exampleSpec('xdp_tailcall.v4.o');
  both(spec, { programs: ['xdp_dispatch', 'tail_tcp'] }, (c, b) => {
    assert.deepEqual([...c.programs.keys()].sort(), ['tail_tcp', 'xdp_dispatch'], b);
    const dispatch = c.programs.get('xdp_dispatch')!;
    // Slot 0 (tail_ipv4) is empty: the tail call falls through to XDP_PASS.
    assert.equal(dispatch.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_PASS, b);
    c.maps.get('jmp_table')!.update(u32(0), u32(c.programs.get('tail_tcp')!.fd));
    assert.equal(dispatch.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_DROP, b);
  });
  assert.throws(() => load(spec, { programs: ['nope'] }), /no program 'nope'/);
});

test('programOverrides: a program whose section tells no type loads with the type given', () => {
  const base = exampleSpec('xdp_global_data.v4.o');
  const spec = {
    ...base,
    programs: base.programs.map((p) => ({ ...p, type: 'UNSPEC' as const, sectionName: 'mystery' })),
  };
  assert.throws(() => load(spec), /mystery/);
  both(spec, { programOverrides: { xdp_global_data: { type: 'XDP' } } }, (c, b) => {
    assert.equal(c.programs.get('xdp_global_data')!.type, 'XDP', b);
    assert.equal(
      c.programs.get('xdp_global_data')!.run({ data: packet('ipv4_tcp_telnet') }).retval,
      XDP_DROP,
      b,
    );
  });
});

test('variables and mapOverrides: .rodata set before load, a map resized', () => {
  const spec = exampleSpec('xdp_global_data.v4.o');
  both(spec, { variables: { deny_port: new Uint8Array([80, 0]) } }, (c, b) => {
    const prog = c.programs.get('xdp_global_data')!;
    assert.equal(prog.run({ data: packet('ipv4_tcp_syn') }).retval, XDP_DROP, b);
    assert.equal(prog.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_PASS, b);
  });
  both(spec, { variables: { drop_enabled: new Uint8Array([0]) } }, (c, b) => {
    assert.equal(
      c.programs.get('xdp_global_data')!.run({ data: packet('ipv4_tcp_telnet') }).retval,
      XDP_PASS,
      b,
    );
  });
  assert.throws(
    () => load(spec, { variables: { deny_port: new Uint8Array(4) } }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && /2 bytes/.test(e.message),
  );
  assert.throws(
    () => load(spec, { mapOverrides: { '.data': { data: new Uint8Array(99) } } }),
    (e: unknown) => e instanceof LoadError && /99 bytes/.test(e.message),
  );
  const tail = exampleSpec('xdp_tailcall.v4.o');
  both(tail, { mapOverrides: { jmp_table: { maxEntries: 8 } } }, (c, b) => {
    assert.equal(c.maps.get('jmp_table')!.spec.maxEntries, 8, b);
    c.maps.get('jmp_table')!.update(u32(7), u32(c.programs.get('tail_tcp')!.fd));
    assert.throws(
      () => c.maps.get('jmp_table')!.update(u32(8), u32(c.programs.get('tail_tcp')!.fd)),
      BpfError,
    );
  });
});

test('VM mapReplacements: two collections share a map in one address space; a mismatch is refused', () => {
  const spec = exampleSpec('xdp_count_array.v4.o');
  using a = load(spec);
  using b = load(spec, { memory: a.space, mapReplacements: { proto_stats: a.map('proto_stats') } });
  b.program(spec.programs[0]!.name).run({ data: packet('ipv4_tcp_syn') });
  const seen = a.map('proto_stats').dump();
  assert.ok(
    seen.valueBytes.some((x) => x !== 0),
    'b counted into a map a reads',
  );
  assert.ok(!b.map('proto_stats').owned);
  assert.throws(
    () => load(spec, { mapReplacements: { proto_stats: a.map('proto_stats') } }),
    (e: unknown) => e instanceof LoadError && /another address space/.test(e.message),
  );
  assert.throws(
    () => load(spec, { memory: a.space, mapReplacements: { proto_stats: a.map('l3_stats') } }),
    (e: unknown) => e instanceof LoadError && /type is PERCPU_ARRAY/.test(e.message),
  );
  b.close();
  assert.ok(a.map('proto_stats').lookup(u32(6)) !== undefined, 'closing b leaves the shared map open');
});

test('VM helpers: the embedder stubs a helper, or adds one of its own id', () => {
  const spec = oneProgram('XDP', asm(['call 7', 'exit'])); // bpf_get_prandom_u32
  using stub = load(spec, { helpers: new Map([[7, () => 0x1234n]]) });
  assert.equal(stub.program('p').run({ data: new Uint8Array(64) }).retval, 0x1234);
  const own = oneProgram('XDP', asm(['r1 = 5', 'call 0x10000', 'exit']));
  using added = load(own, { verify: false, helpers: new Map([[0x10000, (_e, r1) => r1 * 3n]]) });
  assert.equal(added.program('p').run({ data: new Uint8Array(64) }).retval, 15);
});

test('VM memoryLimit: a map past the limit fails the load with ENOMEM', () => {
  const spec = exampleSpec('xdp_count_array.v4.o');
  assert.throws(
    () => load(spec, { memoryLimit: 16 }),
    (e: unknown) => e instanceof BpfError && e.errno === 12 && e.op === 'BPF_MAP_CREATE',
  );
  load(spec, { memoryLimit: 1 << 20 }).close();
});
