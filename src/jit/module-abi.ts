// The contract between a compiled module and the JavaScript that runs it (engine.ts): the names
// of its imports and exports, its globals, the function type every BPF function compiles to,
// and the codes of `raise`, the one import that ends a run with an error. One place, so the
// compiler and the engine cannot disagree.

import { I32, I64, type ValType } from './wasm/index.js';

/** Every BPF function: (r0..r9) -> (r0..r5). r6-r9 are the caller's (callee-saved, §4.3); r10 is the callee's own. */
export const FN_PARAMS: readonly ValType[] = Array.from({ length: 10 }, () => I64);
export const FN_RESULTS: readonly ValType[] = Array.from({ length: 6 }, () => I64);

/** Module-defined i32 globals, exported under these names (the engine reads and sets them). */
export const GLOBALS = [
  'steps', // instructions executed, as of the last call out (synced around calls and at exit)
  'budget', // the run's instruction budget
  'depth', // call depth: 0 in the outermost function
  'zeroed', // frames up to this depth were zeroed in this run
  'stack', // start of frame 0 of the run's stack
  'rStart', // the readable range [rStart, rEnd) the last slow check found (access sites copy it)
  'rEnd',
  'wStart', // the writable range the last slow check of a write found
  'wEnd',
  'gen', // generation of the access sites' caches: bumped whenever regions may have changed
  'pktStart', // the packet LD_ABS / LD_IND read, when pktSize >= 0
  'pktSize',
  'iter', // index of the run in progress inside runBatch / runRepeat (which run a helper's exit ended)
  'hint', // region table entry the last search in Wasm found (tried first: only a hint, fully checked)
] as const;
export type GlobalName = (typeof GLOBALS)[number];

/** Imported functions, in import order: name, params, results. */
export const IMPORTS = {
  /** An access the inline check refused: refills the caches or throws MemoryFault. (lo, hi, off, size, write, pc) */
  slow: { params: [I32, I32, I32, I32, I32, I32], results: [] },
  /** A helper call at pc: (pc, r1..r5) -> r0. May throw an exit. */
  helper: { params: [I32, I64, I64, I64, I64, I64], results: [I64] },
  /** callx: the table index of the function at (lo, hi), -1 for a helper ID, else throws. (lo, hi, pc) */
  callxTarget: { params: [I32, I32, I32], results: [I32] },
  /** callx with a helper ID: (id, pc, r1..r5) -> r0. */
  helperById: { params: [I32, I32, I64, I64, I64, I64, I64], results: [I64] },
  /** Ends the run with an error or an exit (RAISE): (code, pc, arg). Never returns. */
  raise: { params: [I32, I32, I32], results: [] },
} as const satisfies Record<string, { params: readonly ValType[]; results: readonly ValType[] }>;
export type ImportName = keyof typeof IMPORTS;

/** Codes of `raise`. */
export const RAISE = {
  budget: 0,
  callDepth: 1,
  kfunc: 2,
  noHelper: 3,
  noPacket: 4,
  /** LD_ABS / LD_IND out of bounds: the run ends with r0 = 0 (not an error). */
  packetExit: 5,
} as const;

/** Exports besides the globals. */
export const EXPORT = {
  /** f<k>: BPF function k (subprogram order), FN_PARAMS -> FN_RESULTS. */
  fn: (k: number) => `f${k}`,
  /** runCtx(ctx i32) -> r0 low word: the whole run set-up in Wasm (Engine.runContext). */
  runCtx: 'runCtx',
  /** runBatch(ctxs, count, results): runCtx for count u32 context addresses, u32 results. */
  runBatch: 'runBatch',
  /** runRepeat(ctx, count) -> r0 low word of the last run: runCtx on one context count times. */
  runRepeat: 'runRepeat',
  /** invalidate(): resets the access sites' caches and bumps `gen` (regions may have changed). */
  invalidate: 'invalidate',
} as const;
