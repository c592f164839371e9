// The helper-function contract between engines and the runtime: how a `call imm` with
// src_reg 0 reaches TypeScript. Helpers take and return 64-bit values as bigint; the engine
// converts from its own register representation. Helper implementations live elsewhere.

import type { ProgramContext } from './context/types.js';
import type { MapRegistry } from './maps/registry.js';
import type { AddressSpace } from './memory.js';

/** Monotonic clocks of the machine, in nanoseconds (bpf_ktime_get_ns and friends). */
export interface Clock {
  ns(): bigint;
}

/** The tail-call state of one test run (bpf_tail_call); the collection's run loop follows it. */
export interface TailCallState {
  /** Tail calls taken so far in this run (the kernel stops at MAX_TAIL_CALL_CNT). */
  count: number;
  /** The program id a successful bpf_tail_call asked for; the run loop clears it. */
  target: number | undefined;
}

/** Where bpf_redirect / bpf_redirect_map pointed the packet (the kernel's bpf_redirect_info). */
export interface RedirectState {
  ifindex: number;
  /** The map of a bpf_redirect_map, or undefined for a plain bpf_redirect. */
  map: number | undefined;
  flags: bigint;
}

/**
 * What a helper sees of the machine during a call. Engines create one per run with `memory`,
 * `pc` and `exit`; a loaded collection (runtime/vm/) hands its helpers the full set below
 * (see RuntimeEnv). Bare engine runs (runWithMemory, the conformance plugin) have only the first three.
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
  /** Maps by handle address: r1 of a map helper is what `lddw rX, map` loaded. */
  readonly maps?: MapRegistry;
  /** The program context of this run (xdp_md or __sk_buff and its packet). */
  readonly ctx?: ProgramContext;
  /** The virtual CPU the run is on (bpf_get_smp_processor_id, per-CPU map values). */
  readonly cpu?: number;
  readonly tailCall?: TailCallState;
  readonly redirect?: RedirectState;
  /** Receives each bpf_trace_printk line (the text the kernel writes to trace_pipe after the prefix). */
  readonly trace?: (line: string) => void;
  readonly clock?: Clock;
  /** A 32-bit random number (bpf_get_prandom_u32). */
  readonly random?: () => number;
}

/** The env a collection's helpers get: every optional service present. */
export type RuntimeEnv = HelperEnv & Required<Omit<HelperEnv, 'memory' | 'pc' | 'exit'>>;

/** A helper: r1-r5 in, r0 out, all as unsigned 64-bit bigints. May throw a TsbpfError. */
export type HelperFn = (env: HelperEnv, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/** Helpers by id (the kernel's `enum bpf_func_id` numbers, e.g. 1 = map_lookup_elem). */
export type HelperTable = ReadonlyMap<number, HelperFn>;
