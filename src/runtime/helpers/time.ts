// Clock and CPU helpers: ktime_get_ns (5), ktime_get_boot_ns (125), ktime_get_coarse_ns (160),
// get_prandom_u32 (7), get_smp_processor_id (8). The clock and the random source come from the
// collection (injectable for deterministic tests); boot and coarse time read the same clock.

import type { HelperImpl } from './types.js';

export const timeHelpers: readonly HelperImpl[] = [
  { id: 5, fn: (env) => env.clock.ns() },
  { id: 125, fn: (env) => env.clock.ns() },
  { id: 160, fn: (env) => env.clock.ns() },
  { id: 7, fn: (env) => BigInt(env.random() >>> 0) },
  { id: 8, fn: (env) => BigInt(env.cpu) },
];
