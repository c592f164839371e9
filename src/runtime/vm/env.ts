// The helper environment one VM collection shares across its runs, and the adapter that hands
// it to runtime helpers from any engine: the engine's env supplies pc and takes `exit` back.
// The default random source lives here too (injectable through load options; clocks: ../clock.ts).

import type { Mutable } from '../../isa/index.js';
import {
  type HelperEnv,
  type HelperFn,
  type HelperTable,
  markRuntimeHelper,
  type RuntimeEnv,
} from '../helper.js';
import type { RuntimeHelperFn } from '../helpers/index.js';

export type VmEnv = Mutable<RuntimeEnv>;

/**
 * A run whose per-run helper state (tail call count, lock, redirect outcome) is not reset yet:
 * the first helper call of the run resets it. Most runs call no helper, and resetting before
 * every run cost ~3 ns of a 20 ns JIT run.
 */
export interface RunStart {
  pending: boolean;
  start(): void;
}

/**
 * Adapts runtime helpers (full env) to the engine contract (the engine's own env); `run`, when
 * given, is started by the first helper call after it was marked pending.
 */
export function bindHelpers(
  helpers: ReadonlyMap<number, RuntimeHelperFn>,
  env: VmEnv,
  run?: RunStart,
): HelperTable {
  const table = new Map<number, HelperFn>();
  for (const [id, fn] of helpers) {
    const bound: HelperFn = (e: HelperEnv, r1, r2, r3, r4, r5) => {
      if (run?.pending) run.start();
      env.pc = e.pc;
      env.memory = e.memory;
      env.exit = false;
      env.callFunction = e.callFunction;
      const r = fn(env, r1, r2, r3, r4, r5);
      if (env.exit) e.exit = true;
      return r;
    };
    markRuntimeHelper(bound, id);
    table.set(id, bound);
  }
  return table;
}

/** xorshift32: a small deterministic source for bpf_get_prandom_u32 (the kernel's is not reproducible anyway). */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
