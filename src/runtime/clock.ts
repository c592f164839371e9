// The clocks bpf_ktime_get_*_ns read, by the kernel's clock ids: ktime_get_ns is CLOCK_MONOTONIC
// (since boot, stopped during suspend), ktime_get_boot_ns CLOCK_BOOTTIME (suspend included),
// ktime_get_coarse_ns CLOCK_MONOTONIC_COARSE (the monotonic time of the last tick) and
// ktime_get_tai_ns CLOCK_TAI (realtime plus the kernel's TAI offset). `hostClock` is the VM's
// default; `virtualClock` a deterministic one for reproducible tests. tsbpf/kernel's
// `kernelClock` reads all four exactly through clock_gettime(2).

import { TsbpfError } from '../errors.js';
import type { Clock, ClockId } from './helper.js';

declare const performance: { now(): number; readonly timeOrigin: number };
/** Node's process.hrtime.bigint (libuv's uv_hrtime: clock_gettime(CLOCK_MONOTONIC) on Linux). */
const hrtime = (globalThis as { process?: { hrtime?: { bigint?: () => bigint } } }).process?.hrtime?.bigint;

/** A tick at CONFIG_HZ=250 (Debian's default): the granularity the coarse clock steps by. */
const DEFAULT_TICK_NS = 4_000_000n;

/**
 * The host's clocks as far as a browser-safe runtime can read them: CLOCK_MONOTONIC exactly
 * where Node's hrtime is present (performance.now() from a 1 s base elsewhere); CLOCK_BOOTTIME
 * as CLOCK_MONOTONIC (the suspend time is not readable here); the coarse clock as the monotonic
 * time rounded down to a 4 ms tick; CLOCK_TAI as the wall clock (performance.timeOrigin +
 * now()) with a TAI offset of 0, the kernel's until ntpd/chrony sets one.
 */
export function hostClock(): Clock {
  const t0 = performance.now();
  const monotonic =
    hrtime !== undefined ? hrtime : () => 1_000_000_000n + BigInt(Math.round((performance.now() - t0) * 1e6));
  return {
    ns(id: ClockId = 'monotonic'): bigint {
      switch (id) {
        case 'monotonic':
        case 'boottime':
          return monotonic();
        case 'monotonic-coarse': {
          const t = monotonic();
          return t - (t % DEFAULT_TICK_NS);
        }
        case 'tai':
          return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      }
    },
  };
}

export interface VirtualClockOptions {
  /** CLOCK_MONOTONIC at the start, in ns; default 1 s (a booted machine's clock is not 0). */
  readonly start?: bigint;
  /** Added to the time after every read (so two reads differ); default 0: time moves only by advance(). */
  readonly step?: bigint;
  /** CLOCK_BOOTTIME - CLOCK_MONOTONIC: time spent suspended; default 0. */
  readonly suspended?: bigint;
  /** CLOCK_TAI - CLOCK_MONOTONIC; default 1.7e18 ns (a date in 2023) so TAI looks like wall time. */
  readonly taiOffset?: bigint;
  /** Granularity of the coarse clock (one tick); default 4 ms. */
  readonly tick?: bigint;
}

/** A Clock that only moves when told: every run of a program sees the same times. */
export interface VirtualClock extends Clock {
  /** Moves every clock forward by `ns` (a negative value is refused: the clocks are monotonic). */
  advance(ns: bigint): void;
  /** Adds `ns` to CLOCK_BOOTTIME only, as a suspend of that length would. */
  suspend(ns: bigint): void;
}

/** A deterministic clock for reproducible runs (load option `clock`). */
export function virtualClock(options: VirtualClockOptions = {}): VirtualClock {
  let now = options.start ?? 1_000_000_000n;
  let suspended = options.suspended ?? 0n;
  const step = options.step ?? 0n;
  const taiOffset = options.taiOffset ?? 1_700_000_000_000_000_000n;
  const tick = options.tick ?? DEFAULT_TICK_NS;
  if (now < 0n || step < 0n || suspended < 0n || tick <= 0n)
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      'virtualClock: start, step and suspended must be >= 0, tick > 0',
    );
  const forward = (ns: bigint, what: string): bigint => {
    if (ns < 0n) throw new TsbpfError('INVALID_ARGUMENT', `virtualClock.${what}: ${ns} ns is negative`);
    return ns;
  };
  return {
    ns(id: ClockId = 'monotonic'): bigint {
      const t = now;
      now += step;
      switch (id) {
        case 'monotonic':
          return t;
        case 'boottime':
          return t + suspended;
        case 'monotonic-coarse':
          return t - (t % tick);
        case 'tai':
          return t + taiOffset;
      }
    },
    advance(ns) {
      now += forward(ns, 'advance');
    },
    suspend(ns) {
      suspended += forward(ns, 'suspend');
    },
  };
}
