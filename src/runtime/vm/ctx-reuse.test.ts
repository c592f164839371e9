// A test run reuses the parked context of the run before it (program.ts, XdpContext/SkbContext
// create with a spare): consecutive run() calls on one collection must give exactly what the
// same calls give on fresh collections, including headroom reached by bpf_xdp_adjust_head, after
// a refused input, a faulting run, and a switch between XDP and tc; and a parked context must be
// unreachable. VM only: the kernel comparisons of the same inputs are in testrun.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { BpfError, MemoryFault } from '../../errors.js';
import type { CollectionSpec, ProgramSpec } from '../../program/index.js';
import { XDP_MD_SIZE, XdpMd } from '../../uapi/context.js';
import type { TestRunInput } from '../backend.js';

const program = (name: string, type: 'XDP' | 'SCHED_CLS', text: string): ProgramSpec => ({
  name,
  sectionName: name,
  type,
  flags: 0,
  instructions: assemble(text),
  license: 'GPL',
  funcInfo: [],
  lineInfo: [],
});

/**
 * XDP: moves data 64 bytes into the headroom, returns the u32 found 8 bytes past the new data
 * (a headroom byte a fresh frame holds as zero) plus the first packet byte, then writes a
 * marker there that a reused frame must not show to the next run.
 */
const XDP_HEAD = `
r6 = r1
r2 = -64
call 44
if r0 != 0 goto +12
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 72
if r4 > r3 goto +7
r0 = *(u32 *)(r2 + 8)
r5 = *(u8 *)(r2 + 64)
r0 += r5
r5 = 0x5a5a5a5a
*(u32 *)(r2 + 8) = r5
*(u32 *)(r2 + 68) = r5
exit
r0 = 99
exit`;

/** tc: returns skb->len plus the first packet byte and overwrites the first 4 bytes. */
const TC_WRITE = `
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto +6
r0 = *(u32 *)(r1 + 0)
r5 = *(u8 *)(r2 + 0)
r0 += r5
r5 = 0x77777777
*(u32 *)(r2 + 0) = r5
exit
r0 = 98
exit`;

const spec: CollectionSpec = {
  programs: [program('xdp', 'XDP', XDP_HEAD), program('tc', 'SCHED_CLS', TC_WRITE)],
  maps: [],
  variables: [],
  license: 'GPL',
};

function frame(size: number, seed: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k++) f[k] = (k * 7 + seed) & 0xff;
  f[12] = 0x88; // an EtherType no IP header check applies to
  f[13] = 0xb5;
  return f;
}

function xdpCtx(meta: number, len: number, egress = 0): Uint8Array {
  const c = new Uint8Array(XDP_MD_SIZE);
  const v = new DataView(c.buffer);
  v.setUint32(XdpMd.data!, meta, true);
  v.setUint32(XdpMd.data_end!, len, true);
  v.setUint32(XdpMd.egress_ifindex!, egress, true);
  return c;
}

type Call = readonly [name: 'xdp' | 'tc', input: TestRunInput];

/** What a call returns, as comparable text (an errno for a refusal). */
function outcome(vm: ReturnType<typeof load>, [name, input]: Call): string {
  try {
    const r = vm.program(name).run(input);
    return JSON.stringify([
      r.retval,
      Buffer.from(r.data).toString('hex'),
      r.ctx && Buffer.from(r.ctx).toString('hex'),
    ]);
  } catch (e) {
    if (e instanceof BpfError) return `errno ${e.errno}`;
    throw e;
  }
}

const calls: Call[] = [
  ['xdp', { data: frame(64, 1) }],
  ['xdp', { data: frame(64, 2) }],
  ['xdp', { data: frame(300, 3), ctx: xdpCtx(32, 300) }],
  ['xdp', { data: frame(60, 4), ctx: xdpCtx(0, 60, 7) }], // refused: egress_ifindex
  ['xdp', { data: frame(60, 5), ctx: xdpCtx(8, 60) }],
  ['xdp', { data: frame(5000, 6), ctx: xdpCtx(0, 1000) }], // multi-buffer
  ['xdp', { data: frame(10, 7) }], // refused: shorter than an Ethernet header
  ['xdp', { data: frame(64, 8), dataSizeOut: 8 }], // ENOSPC after the run
  ['xdp', { data: frame(64, 9) }],
  ['tc', { data: frame(64, 10) }],
  ['tc', { data: frame(64, 11) }], // same buffer size: the spare's buffer again
  ['tc', { data: frame(200, 12), ctx: new Uint8Array(192) }], // another size: a new buffer
  ['tc', { data: frame(5000, 13) }], // refused: too large
  ['xdp', { data: frame(64, 14) }],
  ['tc', { data: frame(64, 15) }],
];

test('consecutive test runs on one collection give what fresh collections give', () => {
  using vm = load(spec);
  for (const [k, call] of calls.entries()) {
    using fresh = load(spec);
    assert.equal(outcome(vm, call), outcome(fresh, call), `call ${k}: ${call[0]}`);
  }
  // The headroom check itself: a fresh frame's headroom reads as zero.
  const first = JSON.parse(outcome(vm, ['xdp', { data: frame(64, 1) }])) as [number];
  assert.equal(first[0], frame(64, 1)[0]);
});

test('a parked context is unreachable between runs and is released when the collection closes', () => {
  const addr = spec.programs[0]!;
  const ptr = program('ptr', 'XDP', 'r0 = r1\nexit');
  using vm = load({ ...spec, programs: [addr, ptr] }, { verify: false });
  const at = vm.program('ptr').run({ data: frame(64, 1) }).retval;
  assert.equal(vm.space.find(at, 1), undefined, 'the parked xdp_md is not mapped');
  assert.ok(
    vm.space.regions.every((r) => r.kind !== 'ctx' && r.kind !== 'packet'),
    'no ctx or packet region while no run is on',
  );
  assert.equal(
    vm.program('ptr').run({ data: frame(64, 2) }).retval,
    at,
    'the next run takes the same struct',
  );
  vm.close();
  assert.equal(vm.space.reservations.filter((r) => r.kind === 'ctx' || r.kind === 'packet').length, 0);
});

test('a run that faults frees its context and the next run is as on a fresh collection', () => {
  const wild = program('wild', 'XDP', 'r2 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 100)\nexit');
  const both = { ...spec, programs: [spec.programs[0]!, wild] };
  using vm = load(both, { verify: false });
  using fresh = load(both, { verify: false });
  vm.program('xdp').run({ data: frame(64, 1) });
  assert.throws(() => vm.program('wild').run({ data: frame(64, 2) }), MemoryFault);
  assert.equal(outcome(vm, ['xdp', { data: frame(80, 3) }]), outcome(fresh, ['xdp', { data: frame(80, 3) }]));
});
