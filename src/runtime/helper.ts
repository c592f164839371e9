// The helper-function contract between engines and the runtime: how a `call imm` with
// src_reg 0 reaches TypeScript. Helpers take and return 64-bit values as bigint; the engine
// converts from its own register representation. Helper implementations live elsewhere.

import type { AddressSpace } from './memory.js';

/**
 * What a helper sees of the machine during a call. Grows with the runtime (maps, program
 * context, tail calls); engines create one per run and update `pc` before each call.
 */
export interface HelperEnv {
  readonly memory: AddressSpace;
  /** Slot index of the `call` instruction being served. */
  readonly pc: number;
  /**
   * Set by a helper to end the run as soon as it returns, with r0 = its result (the unwind
   * helper of uBPF's conformance plugin; tail calls will take the same path out).
   */
  exit: boolean;
}

/** A helper: r1-r5 in, r0 out, all as unsigned 64-bit bigints. May throw a TsbpfError. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Helpers by id (the kernel's `enum bpf_func_id` numbers, e.g. 1 = map_lookup_elem). */
export type HelperTable = ReadonlyMap<number, HelperFn>;
