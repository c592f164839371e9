// The Engine contract that the interpreter and the Wasm JIT both implement, with the options,
// results and step-hook types they share, and `runWithMemory`, the uBPF-style way to run a
// program over one block of bytes. No execution logic lives here.

import type { Cfg } from '../cfg/index.js';
import type { HelperTable } from './helper.js';
import type { AddressSpace, Region } from './memory.js';

/** Default instruction budget of one run (stops unverified runaway programs). */
export const DEFAULT_BUDGET = 1_000_000;

/** The registers of the current frame, as a step hook sees them (and may change them). */
export interface RegisterView {
  /** Register 0-10 as an unsigned 64-bit value. */
  get(reg: number): bigint;
  set(reg: number, value: bigint): void;
  /** All eleven registers, r0 first. */
  snapshot(): bigint[];
}

export interface StepInfo {
  /** Instructions executed so far in this run (the one at `pc` not yet counted). */
  readonly steps: number;
  /** Call depth: 0 in the main program, 1 inside the first local call, ... */
  readonly depth: number;
  readonly memory: AddressSpace;
}

/**
 * Called before each instruction executes. Return 'stop' to end the run there: the result then
 * carries `stoppedAt`, and a debugger can re-run with the same inputs to reach any step again.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: hooks that return nothing must type-check
export type StepHook = (pc: number, regs: RegisterView, info: StepInfo) => void | 'stop';

/**
 * Resolves an lddw whose src_reg is a pseudo source other than 0 (constant) and 4 (function):
 * map fd / map value / BTF id / map index (RFC 9669 §4.4). Returns the 64-bit value to load.
 */
export type LddwResolver = (pseudo: number, imm: number, hi: number, pc: number) => bigint;

export interface EngineOptions {
  readonly helpers?: HelperTable;
  /** Maximum instructions per run (default DEFAULT_BUDGET). */
  readonly budget?: number;
  readonly onStep?: StepHook;
  /** The address space to run in; a fresh one by default. */
  readonly memory?: AddressSpace;
  readonly resolveLddw?: LddwResolver;
  /**
   * The verifier's proofs for exactly this program (VerifyProgramResult.proved, which `load`
   * passes on): the JIT drops the checks of the accesses proved there. Never pass it for a
   * program the verifier did not accept: those accesses would then go unchecked.
   */
  readonly proved?: Uint8Array;
  /**
   * The program's CFG when the loader already built it (the verify stage did): it must be
   * `buildCfg(program)`; an engine that needs one reuses it instead of building its own.
   */
  readonly cfg?: Cfg;
}

export interface RunOptions {
  /** The packet that legacy LD_ABS / LD_IND instructions read (socket-filter style). */
  readonly packet?: Region;
  /** Overrides the engine's budget for this run. */
  readonly budget?: number;
}

export interface RunResult {
  /** r0 at the final exit, as an unsigned 64-bit value. */
  readonly r0: bigint;
  /** Instructions executed. */
  readonly steps: number;
  /** Set when a step hook returned 'stop': the pc of the instruction not executed. */
  readonly stoppedAt?: number;
}

export interface Engine {
  readonly memory: AddressSpace;
  /** 'interp' or 'jit' (absent: an engine of the embedder's). */
  readonly engineName?: string;
  /** Why this engine runs the program instead of the one asked for (the JIT's fallback), if it does. */
  readonly engineReason?: string | undefined;
  /** Milliseconds spent compiling (the JIT). */
  readonly compileMs?: number;
  /** Runs from slot 0 with r1..r5 = args (missing ones 0) and r10 at the top of a fresh stack. */
  run(args?: readonly bigint[], options?: RunOptions): RunResult;
  /**
   * The cheap run, for data paths that run a program millions of times: r1 = `ctx`, the address
   * of a context struct the caller already placed in this engine's address space (a frame's
   * xdp_md in a ring or UMEM, an skb); r2-r9 = 0 and r10 at the top of the engine's stack.
   * Returns the low 32 bits of r0, unsigned (what BPF_PROG_TEST_RUN reports as retval). Numbers
   * only, no per-run objects, and the stack is not cleared between runs (see the engine for why
   * that is sound). `packet` is the packet legacy LD_ABS / LD_IND read (socket filters). Runs
   * the engine's default budget; a helper's `exit` ends the run as in run().
   */
  runContext(ctx: number, packet?: Region): number;
  /**
   * runContext on `ctx` `count` times in one call (BPF_PROG_TEST_RUN's repeat without a
   * JavaScript round trip per run); returns r0's low word of the last run. Stops after a run
   * that a helper's `exit` ended (a tail call: the caller follows it); `repeatDone` is then the
   * runs done. Engines without it are run once per repeat.
   */
  runRepeat?(ctx: number, count: number, packet?: Region): number;
  /** Runs done by the last runRepeat. */
  readonly repeatDone?: number;
  /**
   * runContext on `count` contexts whose u32 addresses are at `ctxs`, writing each r0's low word
   * as u32 at `results`, in one call (a NAPI poll's frames). Returns how many ran: a run that a
   * helper's `exit` ended is the last (the caller follows its tail call). `enter(k)` is called
   * before the first helper call of run k, so the host can point its helpers at that context.
   */
  runBatch?(ctxs: number, count: number, results: number, enter?: (k: number) => void): number;
  /**
   * Zeroes the stack `runContext` runs on, so that the next run starts as `run()` does (the VM's
   * test run calls it once per `program.run`, not per repeat).
   */
  clearStack(): void;
  /**
   * Runs the function that starts at `slot` (a BPF-to-BPF callee, e.g. a bpf_loop callback) with
   * r1..r5 = args on a fresh stack; may be called from inside a helper (a nested run). Engines
   * that have it also give their helpers HelperEnv.callFunction.
   */
  callFunction?(slot: number, args?: readonly bigint[], options?: RunOptions): RunResult;
  /** Releases what the engine holds in its address space (its stack, compiled code). */
  close?(): void;
}

export interface MemoryRunResult extends RunResult {
  /** The block's bytes after the run (a copy). */
  readonly memory: Uint8Array;
}

/**
 * Copies `data` into a fresh 'mem' region, runs with r1 = its address and r2 = its length,
 * and returns r0 with the block as the program left it. The region is released afterwards.
 */
export function runWithMemory(engine: Engine, data: Uint8Array, options?: RunOptions): MemoryRunResult {
  const space = engine.memory;
  const region = space.allocate('mem', data.length, { kind: 'mem' });
  try {
    space.u8.set(data, region.start);
    const result = engine.run([BigInt(region.start), BigInt(data.length)], options);
    return { ...result, memory: space.u8.slice(region.start, region.end) };
  } finally {
    space.release(region);
  }
}
