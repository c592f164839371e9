// The host's clocks read exactly, through clock_gettime(2): the Clock to hand the VM's load
// (option `clock`) when its bpf_ktime_get_*_ns must read what the kernel's helpers read. Clock
// ids from include/uapi/linux/time.h; the helper-to-clock map is the kernel's
// (kernel/bpf/helpers.c: ktime_get_mono_fast_ns, ktime_get_boot_fast_ns, ktime_get_coarse_ns,
// ktime_get_tai_fast_ns).

import type { Clock, ClockId } from '../runtime/helper.js';
import { clockGettime } from './syscall.js';

const CLOCK_IDS: Readonly<Record<ClockId, number>> = {
  monotonic: 1, // CLOCK_MONOTONIC
  'monotonic-coarse': 6, // CLOCK_MONOTONIC_COARSE
  boottime: 7, // CLOCK_BOOTTIME
  tai: 11, // CLOCK_TAI
};

/** The host's CLOCK_MONOTONIC, _BOOTTIME, _MONOTONIC_COARSE and _TAI through clock_gettime(2). */
export function kernelClock(): Clock {
  return { ns: (id: ClockId = 'monotonic') => clockGettime(CLOCK_IDS[id]) };
}
