// Clock and CPU helpers: ktime_get_ns (5: CLOCK_MONOTONIC), ktime_get_boot_ns (125:
// CLOCK_BOOTTIME), ktime_get_coarse_ns (160: CLOCK_MONOTONIC_COARSE), ktime_get_tai_ns (208:
// CLOCK_TAI), get_prandom_u32 (7), get_smp_processor_id (8). Clocks and the random source come
// from the collection (load options `clock`, `seed`, `random`); ids per kernel/bpf/helpers.c.

import type { HelperImpl } from './types.js';

export const timeHelpers: readonly HelperImpl[] = [
  { id: 5, fn: (env) => env.clock.ns('monotonic') },
  { id: 125, fn: (env) => env.clock.ns('boottime') },
  { id: 160, fn: (env) => env.clock.ns('monotonic-coarse') },
  { id: 208, fn: (env) => env.clock.ns('tai') },
  { id: 7, fn: (env) => BigInt(env.random() >>> 0) },
  { id: 8, fn: (env) => BigInt(env.cpu) },
];
