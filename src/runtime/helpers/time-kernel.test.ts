// The clock helpers against the kernel: an XDP program writes bpf_ktime_get_ns, _boot_ns,
// _coarse_ns and _tai_ns into the packet; on each backend every value must lie between two reads
// of the same host clock taken around the run (kernelClock: clock_gettime(2)). The VM runs with
// kernelClock (exact), with its default hostClock (CLOCK_MONOTONIC exact, the others checked
// within their documented approximation) and with a virtualClock (the same values on every run).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram } from '../../../test/gen/helper-parity.js';
import { virtualClock } from '../../index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { kernelClock, loadProgram } from '../../kernel/index.js';
import type { Clock, ClockId } from '../helper.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const IDS: readonly [ClockId, number][] = [
  ['monotonic', 5],
  ['boottime', 125],
  ['monotonic-coarse', 160],
  ['tai', 208],
];

/** Writes the four clocks into data[0..32) (returns XDP_DROP if the packet is shorter). */
const program = asm([
  'r6 = *(u32 *)(r1 + 0)',
  'r2 = *(u32 *)(r1 + 4)',
  'r3 = r6',
  'r3 += 32',
  'r0 = 1',
  'if r3 > r2 goto +10',
  ...IDS.flatMap(([, id], k) => [`call ${id}`, `*(u64 *)(r6 + ${8 * k}) = r0`]),
  'r0 = 2',
  'exit',
  'exit',
]);

function read(data: Uint8Array): bigint[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return IDS.map((_, k) => v.getBigUint64(8 * k, true));
}

/** [before, after] of each clock around `run`, and the values the run wrote. */
function bracket(run: () => Uint8Array): { lo: bigint[]; hi: bigint[]; got: bigint[] } {
  const host = kernelClock();
  const lo = IDS.map(([id]) => host.ns(id));
  const got = read(run());
  const hi = IDS.map(([id]) => host.ns(id));
  return { lo, hi, got };
}

test('bpf_ktime_get_{,boot_,coarse_,tai_}ns read the kernel clock ids on both backends', { skip }, () => {
  const kernel = loadProgram({ type: 'XDP', insns: program });
  try {
    const runs: [string, Clock | undefined][] = [
      ['kernel', undefined],
      ['vm kernelClock', kernelClock()],
    ];
    for (const [who, clock] of runs) {
      using vm = clock === undefined ? undefined : load(oneProgram('XDP', program), { clock });
      const { lo, hi, got } = bracket(() =>
        vm === undefined
          ? kernel.testRun({ data: new Uint8Array(64) }).data
          : vm.program('p').run({ data: new Uint8Array(64) }).data,
      );
      IDS.forEach(([id], k) => {
        // The coarse clock lags by up to a tick behind the monotonic reading taken before it.
        const low = id === 'monotonic-coarse' ? lo[k]! - 20_000_000n : lo[k]!;
        assert.ok(got[k]! >= low && got[k]! <= hi[k]!, `${who}: ${id} ${got[k]} not in [${low}, ${hi[k]}]`);
      });
    }
  } finally {
    kernel.close();
  }
});

test('the default clock: CLOCK_MONOTONIC exactly, boot/coarse/tai within their approximations', {
  skip,
}, () => {
  using vm = load(oneProgram('XDP', program));
  const { lo, hi, got } = bracket(() => vm.program('p').run({ data: new Uint8Array(64) }).data);
  assert.ok(got[0]! >= lo[0]! && got[0]! <= hi[0]!, `monotonic ${got[0]} not in [${lo[0]}, ${hi[0]}]`);
  // boottime = monotonic here: exact unless the host has been suspended (then boottime is ahead).
  assert.ok(got[1]! <= hi[1]!, 'boottime never ahead of the host');
  // coarse: a monotonic reading taken during the run, rounded down to the 4 ms tick. It is read
  // after ktime_get_ns, so a tick boundary may fall between them: bracket it by the host reads.
  const coarse = got[2]!;
  assert.ok(coarse % 4_000_000n === 0n, `coarse ${coarse} not on a 4 ms tick`);
  assert.ok(
    coarse <= hi[0]! && coarse > lo[0]! - 4_000_000n,
    `coarse ${coarse} not in (${lo[0]} - 4 ms, ${hi[0]}]`,
  );
  // TAI: the wall clock, 0 offset; within 1 s of the host's CLOCK_TAI plus its offset (set or not).
  const taiOffset = hi[3]! - got[3]!;
  assert.ok(taiOffset > -1_000_000_000n && taiOffset < 38_000_000_000n, `tai off by ${taiOffset} ns`);
});

test('virtualClock: runs repeat exactly; advance and suspend move the clocks as documented', () => {
  const clock = virtualClock({ start: 5_000_000_123n, taiOffset: 100n });
  using vm = load(oneProgram('XDP', program), { clock });
  const once = () => read(vm.program('p').run({ data: new Uint8Array(64) }).data);
  assert.deepEqual(once(), [5_000_000_123n, 5_000_000_123n, 5_000_000_000n, 5_000_000_223n]);
  assert.deepEqual(once(), once());
  clock.advance(7n);
  clock.suspend(1000n);
  assert.deepEqual(once(), [5_000_000_130n, 5_000_001_130n, 5_000_000_000n, 5_000_000_230n]);
  assert.throws(() => clock.advance(-1n), /negative/);
  const stepping = virtualClock({ start: 0n, step: 10n });
  using vm2 = load(oneProgram('XDP', program), { clock: stepping });
  assert.deepEqual(read(vm2.program('p').run({ data: new Uint8Array(64) }).data), [
    0n,
    10n,
    0n,
    1_700_000_000_000_000_030n,
  ]);
});
