// The conntrack kfuncs against the kernel: bpf_xdp_ct_lookup with every argument fault (opts
// size, reserved bytes, netns id, l4proto, tuple size) and a flow the kernel does not track,
// compared on opts->error and opts->dir. The kernel has no entry for a test run's flow, so hits
// are checked in the VM alone, over a ConntrackTable the test fills: original and reply
// direction, zones, release, and that the returned handle has no readable fields. The VM side
// loads verified: tsbpf's verifier checks the kfunc calls as the kernel's does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram, runBoth } from '../../../test/gen/helper-parity.js';
import { MemoryFault } from '../../errors.js';
import { ConntrackTable } from '../../index.js';
import type { Instruction } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { kernelFuncId } from '../../kernel/kfunc-ids.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** kfunc ids for the kernel side (imm) and names for the VM side (reference). */
function ids(): [number, number] {
  if (!avail.ok) return [1, 2];
  return [kernelFuncId('bpf_xdp_ct_lookup')!, kernelFuncId('bpf_ct_release')!];
}

interface Case {
  tupleSz: number;
  optsSz: number;
  netns: number;
  l4: number;
  reserved: number;
  dir: number;
  zone?: number;
  readField?: boolean;
}

/**
 * Looks up tuple {10.0.0.1:0 -> 0.0.0.0:0}; on a hit releases it and returns 100 (or reads a
 * byte of the handle first), otherwise (opts->error & 0xffff) | opts->dir << 16.
 */
function program(c: Case): Instruction[] {
  const [lookup, release] = ids();
  const insns = asm([
    'r6 = r1',
    ...[40, 32, 24, 16, 8].map((o) => `*(u64 *)(r10 - ${o}) = 0`),
    '*(u32 *)(r10 - 40) = 0x0100000a',
    `*(u32 *)(r10 - 64) = ${c.netns}`,
    '*(u32 *)(r10 - 60) = 0x55',
    `*(u8 *)(r10 - 56) = ${c.l4}`,
    `*(u8 *)(r10 - 55) = ${c.dir}`,
    `*(u16 *)(r10 - 54) = ${c.zone ?? 0}`,
    '*(u8 *)(r10 - 52) = 0',
    `*(u8 *)(r10 - ${c.optsSz === 12 ? 55 : 51}) = ${c.reserved}`,
    '*(u16 *)(r10 - 50) = 0',
    'r1 = r6',
    'r2 = r10',
    'r2 += -40',
    `r3 = ${c.tupleSz}`,
    'r4 = r10',
    'r4 += -64',
    `r5 = ${c.optsSz}`,
    `call kfunc ${lookup}`,
    'if r0 == 0 goto +6',
    'r7 = 100',
    c.readField ? 'r7 = *(u8 *)(r0 + 8)' : 'r7 = 100',
    'r1 = r0',
    `call kfunc ${release}`,
    'r0 = r7',
    'exit',
    'r0 = *(u32 *)(r10 - 60)',
    'r1 = *(u8 *)(r10 - 55)',
    'r1 <<= 16',
    'r0 &= 0xffff',
    'r0 |= r1',
    'exit',
  ]);
  return insns.map((i) =>
    i.src === 2 ? { ...i, reference: i.imm === lookup ? 'bpf_xdp_ct_lookup' : 'bpf_ct_release' } : i,
  );
}

const base: Case = { tupleSz: 12, optsSz: 16, netns: -1, l4: 6, reserved: 0, dir: 0 };
const frame = { data: new Uint8Array(64) };

test('bpf_xdp_ct_lookup: opts->error and opts->dir for each argument fault and a missing flow', {
  skip,
}, () => {
  const cases: Case[] = [
    base,
    { ...base, optsSz: 12 },
    { ...base, optsSz: 8 },
    { ...base, optsSz: 20 },
    { ...base, tupleSz: 36, l4: 17 },
    { ...base, tupleSz: 13 },
    { ...base, netns: -2 },
    { ...base, netns: 5 },
    { ...base, l4: 1 },
    { ...base, reserved: 1 },
    { ...base, optsSz: 12, reserved: 1 },
    { ...base, dir: 1 },
    { ...base, zone: 3 },
    { ...base, optsSz: 12, zone: 3 },
  ];
  for (const c of cases) {
    const [r] = runBoth('XDP', program(c), [frame]);
    assert.deepEqual(r!.vm, r!.kernel, JSON.stringify(c));
  }
});

test('the VM finds the embedder entries in both directions and zones, and releases them', () => {
  const table = new ConntrackTable();
  const entry = {
    family: 4 as const,
    protocol: 6 as const,
    saddr: Uint8Array.of(10, 0, 0, 1),
    daddr: Uint8Array.of(0, 0, 0, 0),
    sport: 0,
    dport: 0,
  };
  using c = load(oneProgram('XDP', program(base)), { conntrack: table });
  const ENOENT = 0xfffe;
  assert.equal(c.program('p').run(frame).retval, ENOENT, 'empty table');
  table.add(entry);
  assert.equal(c.program('p').run(frame).retval, 100);
  assert.deepEqual(c.conntrack.hits, [entry]);
  // UDP does not match a TCP entry; another zone does not match zone 0.
  using udp = load(oneProgram('XDP', program({ ...base, l4: 17 })), { conntrack: table });
  assert.equal(udp.program('p').run(frame).retval, ENOENT);
  using zoned = load(oneProgram('XDP', program({ ...base, zone: 3 })), { conntrack: table });
  assert.equal(zoned.program('p').run(frame).retval, ENOENT);
  table.add({ ...entry, zone: 3 });
  assert.equal(zoned.program('p').run(frame).retval, 100);
  // The reply direction: the entry as seen from the other end.
  const reply = new ConntrackTable();
  reply.add({ ...entry, saddr: Uint8Array.of(0, 0, 0, 0), daddr: Uint8Array.of(10, 0, 0, 1) });
  using r = load(oneProgram('XDP', program(base)), { conntrack: reply });
  assert.equal(r.program('p').run(frame).retval, 100);
  // Repeated runs release what they looked up (no handle region left behind).
  const before = c.space.regions.length;
  for (let k = 0; k < 5; k++) c.program('p').run(frame);
  assert.equal(c.space.regions.length, before);
  // The handle has no fields to read: the verifier says so at load (the kernel reads struct
  // nf_conn through its BTF), and unverified, the read faults instead of inventing a value.
  const reading = oneProgram('XDP', program({ ...base, readField: true }));
  assert.throws(() => load(reading, { conntrack: table }), /not supported: access to struct nf_conn fields/);
  using reader = load(reading, { conntrack: table, verify: false });
  assert.throws(() => reader.program('p').run(frame), MemoryFault);
});
