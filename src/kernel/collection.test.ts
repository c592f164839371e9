// loadKernel on the example objects: every object loads with nothing dropped; global data,
// tail calls, map-in-maps, map sharing and variable overrides behave; the verifier log of a broken
// program shows source lines when BTF line info was passed; close() releases every fd.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { missingHelper } from '../../test/kernel-helpers.js';
import { BpfError, ClosedError, LoadError, NotSupportedError, TsbpfError, VerifierError } from '../errors.js';
import { insn, op as O } from '../isa/index.js';
import type { CollectionSpec, ProgramSpec } from '../program/index.js';
import { Errno } from '../uapi/index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { exampleObjects, exampleSpec, packet, packets } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const XDP_DROP = 1;
const XDP_PASS = 2;

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64s = (b: Uint8Array) => [...new BigUint64Array(b.slice().buffer)];
const u64 = (b: Uint8Array) => u64s(b)[0];

test('all 74 example objects load, every program and map present, nothing dropped', { skip }, (t) => {
  const objects = exampleObjects();
  assert.equal(objects.length, 74);
  let programs = 0;
  for (const file of objects) {
    const spec = exampleSpec(file);
    const lacking = missingHelper(spec);
    if (lacking !== undefined) {
      t.diagnostic(`${file} not loaded: ${lacking}`);
      programs += spec.programs.length;
      continue;
    }
    using c = loadKernel(spec);
    assert.deepEqual(c.notes, [], file);
    assert.deepEqual(
      [...c.programs.keys()],
      spec.programs.map((p) => p.name),
      file,
    );
    assert.deepEqual(
      [...c.maps.keys()],
      spec.maps.map((m) => m.name),
      file,
    );
    assert.ok(c.btf !== undefined && c.btf.fd > 0, `${file}: BTF loaded`);
    for (const p of c.programs.values()) assert.ok(p.fd > 0 && p.kernel.id > 0, `${file} ${p.name}`);
    programs += c.programs.size;
  }
  assert.equal(programs, 102);
});

test('global data: .data starts initialised, .bss counters are readable after runs, .rodata is frozen', {
  skip,
}, () => {
  using c = loadKernel(exampleSpec('xdp_global_data.v3.o'));
  assert.equal(u64(c.readVariable('drop_budget')), 1000n);
  assert.equal(u64(c.readVariable('seen_packets')), 0n);
  const prog = c.program('xdp_global_data');
  for (let k = 0; k < 3; k++) assert.equal(prog.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_DROP);
  assert.equal(prog.run({ data: packet('ipv4_udp') }).retval, XDP_PASS);
  assert.equal(u64(c.readVariable('seen_packets')), 4n);
  assert.equal(u64(c.readVariable('dropped_packets')), 3n);
  assert.equal(u64(c.readVariable('drop_budget')), 997n);
  assert.equal(new TextDecoder().decode(c.readVariable('last_tag')), 'tsbpf!\0\0');
  // The same bytes through the map itself: seen, last_len, last_tag, dropped.
  const bss = c.map('.bss').lookup(u32(0))!;
  assert.deepEqual(u64s(bss.subarray(0, 16)), [4n, BigInt(packet('ipv4_udp').length)]);
  assert.equal(u64(bss.subarray(24)), 3n);
  // deny_port = 23 and drop_enabled = 1, then frozen: user space may not write it any more.
  assert.deepEqual([...c.map('.rodata').lookup(u32(0))!], [23, 0, 1]);
  assert.throws(
    () => c.map('.rodata').update(u32(0), new Uint8Array([80, 0, 1])),
    (e: unknown) => e instanceof BpfError && e.errno === Errno.EPERM,
  );
});

test('variables override .rodata constants before load', { skip }, () => {
  const spec = exampleSpec('xdp_global_data.v4.o');
  {
    using c = loadKernel(spec, { variables: { deny_port: new Uint8Array([80, 0]) } });
    const prog = c.program('xdp_global_data');
    assert.equal(prog.run({ data: packet('ipv4_tcp_syn') }).retval, XDP_DROP);
    assert.equal(prog.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_PASS);
  }
  {
    using c = loadKernel(spec, { variables: { drop_enabled: new Uint8Array([0]) } });
    assert.equal(c.program('xdp_global_data').run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_PASS);
  }
  assert.throws(
    () => loadKernel(spec, { variables: { deny_port: new Uint8Array(4) } }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && /2 bytes/.test(e.message),
  );
  assert.throws(() => loadKernel(spec, { variables: { nope: new Uint8Array(1) } }), /no variable 'nope'/);
});

test('tail calls through the prog array: dispatch -> ipv4 -> tcp drops telnet; an emptied slot misses', {
  skip,
}, () => {
  using c = loadKernel(exampleSpec('xdp_tailcall.v4.o'));
  const dispatch = c.program('xdp_dispatch');
  const hits = () => u64s(c.readVariable('stage_hits'));
  assert.equal(dispatch.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_DROP);
  assert.deepEqual(hits(), [1n, 1n, 0n, 1n]);
  assert.equal(dispatch.run({ data: packet('ipv6_udp') }).retval, XDP_PASS);
  assert.deepEqual(hits(), [2n, 1n, 1n, 1n]);
  // Slot 0 (tail_ipv4) removed: the tail call falls through to `return XDP_PASS`.
  c.map('jmp_table').delete(u32(0));
  assert.equal(dispatch.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_PASS);
  assert.deepEqual(hits(), [3n, 1n, 1n, 1n]);
  // Put tail_tcp there instead: dispatch jumps straight to it.
  c.map('jmp_table').update(u32(0), u32(c.program('tail_tcp').fd));
  assert.equal(dispatch.run({ data: packet('ipv4_tcp_telnet') }).retval, XDP_DROP);
  assert.deepEqual(hits(), [4n, 1n, 1n, 2n]);
});

test('map-in-map: the outer maps hold the inner maps the program counts in', { skip }, () => {
  using c = loadKernel(exampleSpec('xdp_map_in_map.v3.o'));
  const prog = c.program('xdp_map_in_map');
  for (const p of ['ipv6_tcp_syn', 'vlan_ipv4_udp', 'qinq_ipv4_tcp', 'vlan_ipv4_udp']) {
    assert.equal(prog.run({ data: packet(p) }).retval, XDP_PASS);
  }
  const count = (map: string, slot: number) => u64(c.map(map).lookup(u32(slot))!);
  assert.equal(count('untagged', 1), 1n); // IPv6 TCP, no VLAN
  assert.equal(count('tagged', 2), 2n); // 802.1Q IPv4 UDP, twice
  assert.equal(count('qinq', 1), 1n); // QinQ IPv4 TCP
  assert.equal(count('ipv4_only', 2), 2n);
  assert.equal(count('ipv4_only', 1), 1n);
  assert.equal(count('ipv6_only', 1), 1n);
  // From user space an outer map's value is the inner map's id.
  const id = c.map('by_vlan_depth').lookup(u32(1));
  assert.ok(id !== undefined && new DataView(id.buffer).getUint32(0, true) > 0);
  // Rewire depth 0 to `qinq`: the IPv6 packet now counts there.
  c.map('by_vlan_depth').update(u32(0), u32(c.map('qinq').fd));
  prog.run({ data: packet('ipv6_tcp_syn') });
  assert.equal(count('qinq', 1), 2n);
  assert.equal(count('untagged', 1), 1n);
});

test('mapReplacements share a map between collections; mapOverrides change a map', { skip }, () => {
  const spec = exampleSpec('xdp_tailcall.v3.o');
  using a = loadKernel(spec);
  {
    using b = loadKernel(spec, { mapReplacements: { '.bss': a.map('.bss').kernel } });
    b.program('xdp_dispatch').run({ data: packet('ipv6_udp') });
    assert.equal(b.map('.bss').owned, false);
  }
  // b is closed; a's map (which b used) is still open and holds b's counts.
  assert.deepEqual(u64s(a.readVariable('stage_hits')), [1n, 0n, 1n, 0n]);
  assert.throws(() => loadKernel(spec, { mapReplacements: { nope: a.map('.bss').kernel } }), /no map 'nope'/);
  using d = loadKernel(spec, { mapOverrides: { jmp_table: { maxEntries: 8 } } });
  assert.equal(d.map('jmp_table').kernel.maxEntries, 8);
  d.map('jmp_table').update(u32(7), u32(d.program('tail_ipv6').fd));
});

/** The slot index of each instruction record (lddw takes two). */
function slotsOf(p: ProgramSpec): number[] {
  let slot = 0;
  return p.instructions.map((i) => {
    const s = slot;
    slot += i.op === O.OP_LDDW ? 2 : 1;
    return s;
  });
}

/** xdp_global_data with the instruction at a line-info boundary replaced by an out-of-frame stack read. */
function brokenSpec(): { spec: CollectionSpec; line: string } {
  const spec = exampleSpec('xdp_global_data.v3.o');
  const p = spec.programs[0]!;
  const slots = slotsOf(p);
  const li = p.lineInfo.find((l) => l.insnOff > 40 && slots.includes(l.insnOff))!;
  const k = slots.indexOf(li.insnOff);
  const bad = insn(O.BPF_LDX | O.BPF_MEM | O.BPF_DW, 0, 10, 8, 0); // r0 = *(u64 *)(r10 + 8)
  const instructions = p.instructions.map((x, j) => (j === k ? bad : x));
  return { spec: { ...spec, programs: [{ ...p, instructions }] }, line: li.text.trim() };
}

test('a broken program: the verifier log carries source lines with BTF line info, none without', {
  skip,
}, () => {
  const { spec, line } = brokenSpec();
  const reject = (btf: boolean): VerifierError => {
    let got: VerifierError | undefined;
    assert.throws(
      () => loadKernel(spec, { btf }),
      (e: unknown) => {
        assert.ok(e instanceof VerifierError);
        got = e;
        return true;
      },
    );
    return got!;
  };
  const withLines = reject(true);
  assert.match(withLines.message, /invalid read from stack R10 off=8 size=8/);
  assert.ok(withLines.log.includes(`; ${line} @ `), `source line '${line}' in the log`);
  assert.match(withLines.log, /^; .* @ xdp_global_data\.c:\d+$/m);
  const without = reject(false);
  assert.match(without.message, /invalid read from stack/);
  assert.doesNotMatch(without.log, /^; /m);
});

test('closing the collection closes everything; use after close throws ClosedError', { skip }, () => {
  const c = loadKernel(exampleSpec('xdp_tailcall.v3.o'));
  const p = c.program('xdp_dispatch');
  const m = c.map('jmp_table');
  const kernelMap = m.kernel;
  c.close();
  c.close();
  assert.equal(c.closed, true);
  assert.equal(kernelMap.closed, true);
  assert.throws(() => c.programs, ClosedError);
  assert.throws(() => c.maps, ClosedError);
  assert.throws(
    () => p.run({ data: packet('ipv4_udp') }),
    (e: unknown) => e instanceof ClosedError && /xdp_dispatch/.test(e.message),
  );
  assert.throws(() => m.lookup(u32(0)), ClosedError);
  assert.throws(() => m.fd, ClosedError);
});

test('bad specs are refused clearly', { skip }, () => {
  const spec = exampleSpec('xdp_global_data.v3.o');
  const p = spec.programs[0]!;
  const renamed = p.instructions.map((i) => (i.reference === '.data' ? { ...i, reference: '.nope' } : i));
  assert.throws(
    () => loadKernel({ ...spec, programs: [{ ...p, instructions: renamed }] }),
    (e: unknown) => e instanceof LoadError && /refers to map '.nope'/.test(e.message),
  );
  assert.throws(
    () => loadKernel({ ...spec, programs: [{ ...p, type: 'UNSPEC', sectionName: 'mystery' }] }),
    (e: unknown) => e instanceof NotSupportedError && /section 'mystery'/.test(e.message),
  );
  assert.throws(
    () => loadKernel(spec, { mapOverrides: { '.data': { data: new Uint8Array(9) } } }),
    (e: unknown) => e instanceof LoadError && /9 bytes/.test(e.message),
  );
});

test('no fd leaks: loading, running and closing every example (and failed loads) gives every fd back', {
  skip,
}, () => {
  const openFds = () => readdirSync('/proc/self/fd').length;
  // Objects the running kernel cannot load for a missing helper (test/kernel-helpers.ts) are left out.
  const specs = exampleObjects()
    .map(exampleSpec)
    .filter((spec) => missingHelper(spec) === undefined);
  const { spec: broken } = brokenSpec();
  const data = packets().find((x) => x.name === 'ipv4_tcp_syn')!.bytes;
  const before = openFds();
  let held = 0;
  for (const spec of specs) {
    const c = loadKernel(spec);
    // Devmap and cpumap programs cannot be test-run (the kernel's EINVAL).
    const runnable = new Set(
      spec.programs
        .filter((p) => p.attachType !== 'XDP_CPUMAP' && p.attachType !== 'XDP_DEVMAP')
        .map((p) => p.name),
    );
    for (const [name, prog] of c.programs) if (runnable.has(name)) prog.run({ data });
    held = Math.max(held, openFds() - before);
    c.close();
    assert.equal(openFds(), before, 'after closing a collection');
  }
  // The probe sees open collections: programs + maps + BTF.
  assert.ok(held >= 7, `a loaded collection held ${held} fds`);
  for (let k = 0; k < 3; k++) assert.throws(() => loadKernel(broken), VerifierError);
  const tc = specs.find((s) => s.programs.some((p) => p.name === 'tc_classify'))!;
  assert.throws(
    () => loadKernel(tc, { mapOverrides: { '.rodata': { data: new Uint8Array(99) } } }),
    LoadError,
  );
  assert.throws(() => loadKernel(tc, { mapOverrides: { nope: {} } }), /no map 'nope'/);
  assert.equal(openFds(), before, 'after failed loads');
});
