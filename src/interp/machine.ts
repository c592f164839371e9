// The interpreter's hot loop: executes predecoded slots (predecode.ts: 8 int32 words per slot)
// over a register file of (lo, hi) int32 pairs (r<n> lo at 2n, hi at 2n + 1) with one switch on
// the op code. No BigInt except in helper calls and wide division. Set-up, stacks and results
// live in interpreter.ts. Case labels are literal numbers (raw opcode bytes, or the codes of
// codes.ts) so that V8 builds one jump table; keep the two files in step.
//
// The running program's code is copied into an arena that the loop closes over as a constant,
// and the register file is a module-level typed array (REGS): V8 then treats both as constants
// and drops the per-instruction reloads of their length and data pointer, worth about a third of
// the time per instruction (a per-engine array passed to the loop, or a module-level `let`,
// measured 10-70% slower; docs/benchmarks.md). Nothing is allocated at import: the arena and its
// loop are made on the first run, sized to the largest program run so far (a larger program makes
// a new pair). Each engine keeps its own predecoded code; the arena holds a copy of the program
// running now, copied in when another one ran last. Nested runs (a helper or hook running
// another program) save and restore the outer run's registers and code.
//
// Steps are counted lazily: straight-line runs are added up when control leaves them (taken
// jump, call, return, exit), and the budget is checked there. In step-hook mode every slot is a
// STEP_TRAP (305) that calls the hook and then re-dispatches the real op, so the normal path
// pays nothing for the hook.

import { BudgetExceededError, MemoryFault, NotSupportedError, RuntimeFault } from '../errors.js';
import { join64 } from '../isa/index.js';
import { FRAME_STRIDE, FUNC_BASE, FUNC_HI } from '../runtime/abi.js';
import type {
  AddressSpace,
  HelperEnv,
  HelperTable,
  Region,
  RegisterView,
  StepHook,
} from '../runtime/index.js';
import { bswap32, divmod64, mul64, SDIV, SMOD, sar64, shl64, shr64, UDIV, UMOD } from './pair.js';
import type { Decoded } from './predecode.js';

/** Bytes per frame and frames per run (kernel MAX_BPF_STACK, MAX_CALL_FRAMES). */
const FRAME = 512;
const MAX_DEPTH = 8;

/** Most slots a program may have: the kernel's 1M-instruction limit plus room for sentinels. */
export const MAX_SLOTS = (1 << 20) + 4096;
/** Slots of the first arena: most programs fit, so the arena and its loop are made once. */
const FIRST_ARENA_SLOTS = 4096;

type Loop = (d: Decoded, st: RunState) => void;
/** The code of the program running now (predecode.ts layout) and the loop that reads it. */
interface Arena {
  readonly code: Int32Array;
  readonly loop: Loop;
}
let arena: Arena | undefined;
let loaded: Decoded | undefined;
/** The registers of the running frame: r<n> lo at 2n, hi at 2n + 1. */
export const REGS = new Int32Array(22);
/** How many runs are in progress (a helper or step hook may start a nested run). */
let active = 0;
const FRAMES: { saved: Int32Array; ret: Int32Array }[] = [];

/**
 * Copies `d` into the arena, first making a larger arena (and loop) if it does not fit. An outer
 * run keeps reading the arena it started on, which a larger one never overwrites.
 */
function load(d: Decoded): Arena {
  if (d.code.length > MAX_SLOTS * 8) throw new RangeError(`program of ${d.slots} slots is too large`);
  let a = arena;
  if (a === undefined || a.code.length < d.code.length) {
    a = makeArena(Math.max(d.code.length, FIRST_ARENA_SLOTS * 8));
    arena = a;
  }
  a.code.set(d.code);
  loaded = d;
  return a;
}

/**
 * Everything one run needs besides the program. An engine keeps one for its outermost runs and
 * re-fills it (no per-run objects); `steps`, `stoppedAt` and `r0hi` are written back.
 */
export interface RunState {
  readonly space: AddressSpace;
  stack: Region;
  budget: number;
  readonly hook: StepHook | undefined;
  readonly regsView: RegisterView;
  packet: Region | undefined;
  readonly env: { pc: number } & HelperEnv;
  /** The engine's helper table, for callx with a helper ID. */
  readonly helpers: HelperTable | undefined;
  /** A view of the address space's memory, current when the run starts (see Interpreter). */
  view: DataView;
  /** The memory is a SharedArrayBuffer: growing it does not detach `view`, so re-read it. */
  readonly shared: boolean;
  /** The slot the run starts at (0; a callback's first slot for Engine.callFunction). */
  entry: number;
  steps: number;
  stoppedAt: number | undefined;
  /** The high word of r0 at the final exit (execute returns the low word). */
  r0hi: number;
}

/**
 * An address that failed the inline checks: looked up in all regions (the live stack frames are
 * one strided region), without BigInt unless it faults. Every region lies below 2^32 and more
 * than 32 KiB above 0, so a base with a high word other than 0 can only fault.
 */
function slowAddress(
  R: Int32Array,
  base: number,
  off: number,
  size: number,
  write: boolean,
  st: RunState,
  sLo: number,
  pc: number,
): number {
  const space = st.space;
  syncFrames(space, st.stack, sLo + FRAME);
  if (R[base + 1] === 0) {
    const a = (R[base]! >>> 0) + off;
    if (a >= 0) {
      const r = space.find(a, size);
      if (r !== undefined && (r.writable || !write)) return a;
    }
  }
  const pointer = join64(R[base]!, R[base + 1]!);
  const full = BigInt.asUintN(64, pointer + BigInt(off));
  // Name the region the pointer belongs to (the one the access missed), not whatever lies nearest.
  throw new MemoryFault(pc, write ? 'write' : 'read', full, size, space.describeNearest(pointer));
}

/**
 * Makes the stack region's live frames end at `live` (the current frame's top). Calls and exits
 * only move sLo/sHi; the region follows lazily, before a slow-path lookup or a helper call,
 * which are the only ones that read it.
 */
function syncFrames(space: AddressSpace, stack: Region, live: number): void {
  if (stack.end !== live) space.setElements(stack, (live - stack.start - FRAME) / FRAME_STRIDE + 1);
}

/**
 * A helper argument as join64 gives it (unsigned 64 bits), made as one BigInt instead of four
 * when it is below 2^53, as pointers, sizes and flags are (a helper call converts five).
 */
function arg64(lo: number, hi: number): bigint {
  const h = hi >>> 0;
  return h < 0x200000 ? BigInt(h * 0x100000000 + (lo >>> 0)) : join64(lo, hi);
}

function fault(message: string, pc: number): never {
  throw new RuntimeFault(message, pc);
}

/**
 * Runs `d` from slot `st.entry` with the registers `init` (22 words) until the outermost exit or
 * until the step hook says stop; returns the low word of r0 (int32) and leaves the high word in
 * `st.r0hi`.
 */
export function execute(d: Decoded, init: Int32Array, st: RunState): number {
  if (active !== 0) return executeNested(d, init, st);
  active = 1;
  try {
    const a = loaded === d ? arena! : load(d);
    setRegisters(init);
    a.loop(d, st);
    st.r0hi = REGS[1]!;
    return REGS[0]!;
  } finally {
    active = 0;
  }
}

/** No run is in progress in this module (any engine): `executeContext` may start one. */
export function machineIdle(): boolean {
  return active === 0;
}

/**
 * Engine.runContext's outermost run: r1 = `r1`, r10 = `r10`, every other register 0, written
 * straight into REGS (no init array to copy). Only when `machineIdle()`; unlike execute it has no
 * try/finally of its own: the caller's `finally` must call `endContextRun()` (one try block per
 * run instead of two, on a run of two instructions).
 */
export function executeContext(d: Decoded, st: RunState, r1: number, r10: number): number {
  active = 1;
  const a = loaded === d ? arena! : load(d);
  const R = REGS;
  R[0] = 0;
  R[1] = 0;
  R[2] = r1;
  R[3] = 0;
  R[4] = 0;
  R[5] = 0;
  R[6] = 0;
  R[7] = 0;
  R[8] = 0;
  R[9] = 0;
  R[10] = 0;
  R[11] = 0;
  R[12] = 0;
  R[13] = 0;
  R[14] = 0;
  R[15] = 0;
  R[16] = 0;
  R[17] = 0;
  R[18] = 0;
  R[19] = 0;
  R[20] = r10;
  R[21] = 0;
  a.loop(d, st);
  st.r0hi = R[1]!;
  return R[0]!;
}

/** Ends the run executeContext started (also when it threw). */
export function endContextRun(): void {
  active = 0;
}

/** A run inside another (from a helper or a step hook): the outer run's registers and code survive it. */
function executeNested(d: Decoded, init: Int32Array, st: RunState): number {
  const outer = REGS.slice();
  const outerCode = loaded;
  active++;
  try {
    const a = loaded === d ? arena! : load(d);
    setRegisters(init);
    a.loop(d, st);
    st.r0hi = REGS[1]!;
    return REGS[0]!;
  } finally {
    active--;
    REGS.set(outer);
    if (outerCode !== undefined && loaded !== outerCode) load(outerCode);
  }
}

/**
 * REGS = init, one store per word: measured 12 ns cheaper per run than REGS.set(init) (a
 * builtin call) and 30 ns cheaper than a loop over 22 words, on a run of two instructions.
 */
function setRegisters(init: Int32Array): void {
  const R = REGS;
  R[0] = init[0]!;
  R[1] = init[1]!;
  R[2] = init[2]!;
  R[3] = init[3]!;
  R[4] = init[4]!;
  R[5] = init[5]!;
  R[6] = init[6]!;
  R[7] = init[7]!;
  R[8] = init[8]!;
  R[9] = init[9]!;
  R[10] = init[10]!;
  R[11] = init[11]!;
  R[12] = init[12]!;
  R[13] = init[13]!;
  R[14] = init[14]!;
  R[15] = init[15]!;
  R[16] = init[16]!;
  R[17] = init[17]!;
  R[18] = init[18]!;
  R[19] = init[19]!;
  R[20] = init[20]!;
  R[21] = init[21]!;
}

/** An arena of `words` code words and the loop that runs from it (a closure: see the top). */
function makeArena(words: number): Arena {
  const CODE = new Int32Array(words);
  return { code: CODE, loop };

  function loop(d: Decoded, st: RunState): void {
    const C = CODE;
    const R = REGS;
    const space = st.space;
    let dv = st.view;
    // The current frame [sLo, sLo + FRAME), checked inline as one unsigned compare; r10 = its top.
    // Frame k is FRAME_STRIDE above frame k - 1.
    // Few locals here: each one live across the loop costs every instruction (register pressure).
    let sLo = st.stack.start;
    syncFrames(space, st.stack, sLo + FRAME);
    // Per call depth: r6-r10 of the caller (10 words) and the return slot; one pair of arrays
    // per nesting level of runs, made once (typed-array allocation would dominate short runs).
    let frames = FRAMES[active];
    if (frames === undefined) {
      frames = { saved: new Int32Array(MAX_DEPTH * 10), ret: new Int32Array(MAX_DEPTH) };
      FRAMES[active] = frames;
    }
    const saved = frames.saved;
    const ret = frames.ret;
    // Frames up to this depth were zeroed in this run (frame 0 by the interpreter before it).
    let zeroed = 0;
    let depth = 0;
    const budget = st.budget;
    // Instructions before `start` (a word index) are counted in `acc`.
    let acc = 0;
    let pc = st.entry * 8;
    let start = pc;
    let op = C[pc]!;
    let a = 0;
    let x = 0;
    let y = 0;

    for (;;) {
      const dd = C[pc + 1]!;
      switch (op) {
        // ---- ALU64, immediate operand (sign-extended to 64 bits: hi word in C[pc + 5]) ----
        case 0x07: // add
          x = (R[dd]! >>> 0) + (C[pc + 4]! >>> 0);
          R[dd + 1] = (R[dd + 1]! + C[pc + 5]! + (x > 0xffffffff ? 1 : 0)) | 0;
          R[dd] = x | 0;
          break;
        case 0x17: // sub
          x = (R[dd]! >>> 0) - (C[pc + 4]! >>> 0);
          R[dd + 1] = (R[dd + 1]! - C[pc + 5]! - (x < 0 ? 1 : 0)) | 0;
          R[dd] = x | 0;
          break;
        case 0x27:
          mul64(R, dd, C[pc + 4]!, C[pc + 5]!);
          break;
        case 0x37:
          divmod64(R, dd, C[pc + 4]!, C[pc + 5]!, UDIV);
          break;
        case 0x47:
          R[dd] = R[dd]! | C[pc + 4]!;
          R[dd + 1] = R[dd + 1]! | C[pc + 5]!;
          break;
        case 0x57:
          R[dd] = R[dd]! & C[pc + 4]!;
          R[dd + 1] = R[dd + 1]! & C[pc + 5]!;
          break;
        case 0x67:
          shl64(R, dd, C[pc + 4]! & 63);
          break;
        case 0x77:
          shr64(R, dd, C[pc + 4]! & 63);
          break;
        case 0x87: // neg
          x = R[dd]!;
          R[dd + 1] = (-R[dd + 1]! - (x !== 0 ? 1 : 0)) | 0;
          R[dd] = -x | 0;
          break;
        case 0x97:
          divmod64(R, dd, C[pc + 4]!, C[pc + 5]!, UMOD);
          break;
        case 0xa7:
          R[dd] = R[dd]! ^ C[pc + 4]!;
          R[dd + 1] = R[dd + 1]! ^ C[pc + 5]!;
          break;
        case 0xb7:
          R[dd] = C[pc + 4]!;
          R[dd + 1] = C[pc + 5]!;
          break;
        case 0xc7:
          sar64(R, dd, C[pc + 4]! & 63);
          break;
        case 260: // sdiv64 imm
          divmod64(R, dd, C[pc + 4]!, C[pc + 5]!, SDIV);
          break;
        case 262: // smod64 imm
          divmod64(R, dd, C[pc + 4]!, C[pc + 5]!, SMOD);
          break;

        // ---- ALU64, register operand ----
        case 0x0f: {
          const ss = C[pc + 2]!;
          x = (R[dd]! >>> 0) + (R[ss]! >>> 0);
          R[dd + 1] = (R[dd + 1]! + R[ss + 1]! + (x > 0xffffffff ? 1 : 0)) | 0;
          R[dd] = x | 0;
          break;
        }
        case 0x1f: {
          const ss = C[pc + 2]!;
          x = (R[dd]! >>> 0) - (R[ss]! >>> 0);
          R[dd + 1] = (R[dd + 1]! - R[ss + 1]! - (x < 0 ? 1 : 0)) | 0;
          R[dd] = x | 0;
          break;
        }
        case 0x2f: {
          const ss = C[pc + 2]!;
          mul64(R, dd, R[ss]!, R[ss + 1]!);
          break;
        }
        case 0x3f: {
          const ss = C[pc + 2]!;
          divmod64(R, dd, R[ss]!, R[ss + 1]!, UDIV);
          break;
        }
        case 0x4f: {
          const ss = C[pc + 2]!;
          R[dd] = R[dd]! | R[ss]!;
          R[dd + 1] = R[dd + 1]! | R[ss + 1]!;
          break;
        }
        case 0x5f: {
          const ss = C[pc + 2]!;
          R[dd] = R[dd]! & R[ss]!;
          R[dd + 1] = R[dd + 1]! & R[ss + 1]!;
          break;
        }
        case 0x6f:
          shl64(R, dd, R[C[pc + 2]!]! & 63);
          break;
        case 0x7f:
          shr64(R, dd, R[C[pc + 2]!]! & 63);
          break;
        case 0x9f: {
          const ss = C[pc + 2]!;
          divmod64(R, dd, R[ss]!, R[ss + 1]!, UMOD);
          break;
        }
        case 0xaf: {
          const ss = C[pc + 2]!;
          R[dd] = R[dd]! ^ R[ss]!;
          R[dd + 1] = R[dd + 1]! ^ R[ss + 1]!;
          break;
        }
        case 0xbf: {
          const ss = C[pc + 2]!;
          R[dd] = R[ss]!;
          R[dd + 1] = R[ss + 1]!;
          break;
        }
        case 0xcf:
          sar64(R, dd, R[C[pc + 2]!]! & 63);
          break;
        case 261: {
          // sdiv64 reg
          const ss = C[pc + 2]!;
          divmod64(R, dd, R[ss]!, R[ss + 1]!, SDIV);
          break;
        }
        case 263: {
          // smod64 reg
          const ss = C[pc + 2]!;
          divmod64(R, dd, R[ss]!, R[ss + 1]!, SMOD);
          break;
        }
        case 266: // movsx64 8
          x = (R[C[pc + 2]!]! << 24) >> 24;
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;
        case 267: // movsx64 16
          x = (R[C[pc + 2]!]! << 16) >> 16;
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;
        case 268: // movsx64 32
          x = R[C[pc + 2]!]!;
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;

        // ---- ALU (32-bit; the result is zero-extended), immediate operand ----
        // Stores into the Int32Array wrap to 32 bits (ToInt32), which is the 32-bit semantics.
        case 0x04:
          R[dd] = R[dd]! + C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0x14:
          R[dd] = R[dd]! - C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0x24:
          R[dd] = Math.imul(R[dd]!, C[pc + 4]!);
          R[dd + 1] = 0;
          break;
        case 0x34: // div: x / 0 = 0; a double quotient of two u32 truncates exactly
          y = C[pc + 4]! >>> 0;
          R[dd] = y === 0 ? 0 : (R[dd]! >>> 0) / y;
          R[dd + 1] = 0;
          break;
        case 0x44:
          R[dd] = R[dd]! | C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0x54:
          R[dd] = R[dd]! & C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0x64:
          R[dd] = R[dd]! << (C[pc + 4]! & 31);
          R[dd + 1] = 0;
          break;
        case 0x74:
          R[dd] = R[dd]! >>> (C[pc + 4]! & 31);
          R[dd + 1] = 0;
          break;
        case 0x84:
          R[dd] = -R[dd]!;
          R[dd + 1] = 0;
          break;
        case 0x94: // mod: x % 0 = x (then zero-extended)
          y = C[pc + 4]! >>> 0;
          if (y !== 0) R[dd] = (R[dd]! >>> 0) % y;
          R[dd + 1] = 0;
          break;
        case 0xa4:
          R[dd] = R[dd]! ^ C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0xb4:
          R[dd] = C[pc + 4]!;
          R[dd + 1] = 0;
          break;
        case 0xc4:
          R[dd] = R[dd]! >> (C[pc + 4]! & 31);
          R[dd + 1] = 0;
          break;
        case 256: // sdiv32 imm: INT_MIN / -1 = 2^31 wraps to INT_MIN on the store
          y = C[pc + 4]!;
          R[dd] = y === 0 ? 0 : R[dd]! / y;
          R[dd + 1] = 0;
          break;
        case 258: // smod32 imm: the sign follows the dividend, as in C
          y = C[pc + 4]!;
          if (y !== 0) R[dd] = R[dd]! % y;
          R[dd + 1] = 0;
          break;

        // ---- ALU (32-bit), register operand ----
        case 0x0c:
          R[dd] = R[dd]! + R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0x1c:
          R[dd] = R[dd]! - R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0x2c:
          R[dd] = Math.imul(R[dd]!, R[C[pc + 2]!]!);
          R[dd + 1] = 0;
          break;
        case 0x3c:
          y = R[C[pc + 2]!]! >>> 0;
          R[dd] = y === 0 ? 0 : (R[dd]! >>> 0) / y;
          R[dd + 1] = 0;
          break;
        case 0x4c:
          R[dd] = R[dd]! | R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0x5c:
          R[dd] = R[dd]! & R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0x6c:
          R[dd] = R[dd]! << (R[C[pc + 2]!]! & 31);
          R[dd + 1] = 0;
          break;
        case 0x7c:
          R[dd] = R[dd]! >>> (R[C[pc + 2]!]! & 31);
          R[dd + 1] = 0;
          break;
        case 0x9c:
          y = R[C[pc + 2]!]! >>> 0;
          if (y !== 0) R[dd] = (R[dd]! >>> 0) % y;
          R[dd + 1] = 0;
          break;
        case 0xac:
          R[dd] = R[dd]! ^ R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0xbc:
          R[dd] = R[C[pc + 2]!]!;
          R[dd + 1] = 0;
          break;
        case 0xcc:
          R[dd] = R[dd]! >> (R[C[pc + 2]!]! & 31);
          R[dd + 1] = 0;
          break;
        case 257: // sdiv32 reg
          y = R[C[pc + 2]!]!;
          R[dd] = y === 0 ? 0 : R[dd]! / y;
          R[dd + 1] = 0;
          break;
        case 259: // smod32 reg
          y = R[C[pc + 2]!]!;
          if (y !== 0) R[dd] = R[dd]! % y;
          R[dd + 1] = 0;
          break;
        case 264: // movsx32 8
          R[dd] = (R[C[pc + 2]!]! << 24) >> 24;
          R[dd + 1] = 0;
          break;
        case 265: // movsx32 16
          R[dd] = (R[C[pc + 2]!]! << 16) >> 16;
          R[dd + 1] = 0;
          break;

        // ---- byte order (RFC 9669 §4.2); this machine is little-endian ----
        case 269: // le16
          R[dd] = R[dd]! & 0xffff;
          R[dd + 1] = 0;
          break;
        case 270: // le32
          R[dd + 1] = 0;
          break;
        case 271: // le64
          break;
        case 272: // be16 / bswap16
          x = R[dd]!;
          R[dd] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
          R[dd + 1] = 0;
          break;
        case 273: // be32 / bswap32
          R[dd] = bswap32(R[dd]!);
          R[dd + 1] = 0;
          break;
        case 274: // be64 / bswap64
          x = R[dd]!;
          R[dd] = bswap32(R[dd + 1]!);
          R[dd + 1] = bswap32(x);
          break;

        // ---- jumps; C[pc + 6] is (target - 1) * 8 ----
        case 0x05: // ja
        case 0x06: // gotol
          acc += ((pc - start) >> 3) + 1;
          if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
          pc = C[pc + 6]!;
          start = pc + 8;
          break;
        case 0x15: {
          // jeq imm
          if (R[dd] === C[pc + 4] && R[dd + 1] === C[pc + 5]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x1d: {
          // jeq reg
          const ss = C[pc + 2]!;
          if (R[dd] === R[ss] && R[dd + 1] === R[ss + 1]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x16: {
          // jmp32 jeq imm
          if (R[dd] === C[pc + 4]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x1e: {
          // jmp32 jeq reg
          const ss = C[pc + 2]!;
          if (R[dd] === R[ss]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x55: {
          // jne imm
          if (R[dd] !== C[pc + 4] || R[dd + 1] !== C[pc + 5]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x5d: {
          // jne reg
          const ss = C[pc + 2]!;
          if (R[dd] !== R[ss] || R[dd + 1] !== R[ss + 1]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x56: {
          // jmp32 jne imm
          if (R[dd] !== C[pc + 4]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x5e: {
          // jmp32 jne reg
          const ss = C[pc + 2]!;
          if (R[dd] !== R[ss]) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x45: {
          // jset imm
          if ((R[dd]! & C[pc + 4]!) !== 0 || (R[dd + 1]! & C[pc + 5]!) !== 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x4d: {
          // jset reg
          const ss = C[pc + 2]!;
          if ((R[dd]! & R[ss]!) !== 0 || (R[dd + 1]! & R[ss + 1]!) !== 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x46: {
          // jmp32 jset imm
          if ((R[dd]! & C[pc + 4]!) !== 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x4e: {
          // jmp32 jset reg
          const ss = C[pc + 2]!;
          if ((R[dd]! & R[ss]!) !== 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x25: {
          // jgt imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah >>> 0 > bh >>> 0 : R[dd]! >>> 0 > C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x2d: {
          // jgt reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah >>> 0 > bh >>> 0 : R[dd]! >>> 0 > R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x26: {
          // jmp32 jgt imm
          if (R[dd]! >>> 0 > C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x2e: {
          // jmp32 jgt reg
          const ss = C[pc + 2]!;
          if (R[dd]! >>> 0 > R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x35: {
          // jge imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah >>> 0 > bh >>> 0 : R[dd]! >>> 0 >= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x3d: {
          // jge reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah >>> 0 > bh >>> 0 : R[dd]! >>> 0 >= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x36: {
          // jmp32 jge imm
          if (R[dd]! >>> 0 >= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x3e: {
          // jmp32 jge reg
          const ss = C[pc + 2]!;
          if (R[dd]! >>> 0 >= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xa5: {
          // jlt imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah >>> 0 < bh >>> 0 : R[dd]! >>> 0 < C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xad: {
          // jlt reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah >>> 0 < bh >>> 0 : R[dd]! >>> 0 < R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xa6: {
          // jmp32 jlt imm
          if (R[dd]! >>> 0 < C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xae: {
          // jmp32 jlt reg
          const ss = C[pc + 2]!;
          if (R[dd]! >>> 0 < R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xb5: {
          // jle imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah >>> 0 < bh >>> 0 : R[dd]! >>> 0 <= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xbd: {
          // jle reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah >>> 0 < bh >>> 0 : R[dd]! >>> 0 <= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xb6: {
          // jmp32 jle imm
          if (R[dd]! >>> 0 <= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xbe: {
          // jmp32 jle reg
          const ss = C[pc + 2]!;
          if (R[dd]! >>> 0 <= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x65: {
          // jsgt imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah > bh : R[dd]! >>> 0 > C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x6d: {
          // jsgt reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah > bh : R[dd]! >>> 0 > R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x66: {
          // jmp32 jsgt imm
          if (R[dd]! > C[pc + 4]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x6e: {
          // jmp32 jsgt reg
          const ss = C[pc + 2]!;
          if (R[dd]! > R[ss]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x75: {
          // jsge imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah > bh : R[dd]! >>> 0 >= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x7d: {
          // jsge reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah > bh : R[dd]! >>> 0 >= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x76: {
          // jmp32 jsge imm
          if (R[dd]! >= C[pc + 4]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0x7e: {
          // jmp32 jsge reg
          const ss = C[pc + 2]!;
          if (R[dd]! >= R[ss]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xc5: {
          // jslt imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah < bh : R[dd]! >>> 0 < C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xcd: {
          // jslt reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah < bh : R[dd]! >>> 0 < R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xc6: {
          // jmp32 jslt imm
          if (R[dd]! < C[pc + 4]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xce: {
          // jmp32 jslt reg
          const ss = C[pc + 2]!;
          if (R[dd]! < R[ss]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xd5: {
          // jsle imm
          const ah = R[dd + 1]!;
          const bh = C[pc + 5]!;
          if (ah !== bh ? ah < bh : R[dd]! >>> 0 <= C[pc + 4]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xdd: {
          // jsle reg
          const ss = C[pc + 2]!;
          const ah = R[dd + 1]!;
          const bh = R[ss + 1]!;
          if (ah !== bh ? ah < bh : R[dd]! >>> 0 <= R[ss]! >>> 0) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xd6: {
          // jmp32 jsle imm
          if (R[dd]! <= C[pc + 4]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }
        case 0xde: {
          // jmp32 jsle reg
          const ss = C[pc + 2]!;
          if (R[dd]! <= R[ss]!) {
            acc += ((pc - start) >> 3) + 1;
            if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
            pc = C[pc + 6]!;
            start = pc + 8;
          }
          break;
        }

        // ---- loads and stores, checked against the frame, the last region hit, then all ----
        // Loads try the region hit first: a loop over packet or map bytes then pays one check
        // (the region-bytes loop back to its figure before exact regions, docs/benchmarks.md);
        // stack loads measured the same either way. Stores keep the frame first: hit-first
        // stores measured no different on the stack loop or the packet-rewrite workload.
        case 0x61: {
          // ldxw
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 4 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 4)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 4, false, st, sLo, pc >> 3);
          R[dd] = dv.getInt32(a, true);
          R[dd + 1] = 0;
          break;
        }
        case 0x69: {
          // ldxh
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 2 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 2)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 2, false, st, sLo, pc >> 3);
          R[dd] = dv.getUint16(a, true);
          R[dd + 1] = 0;
          break;
        }
        case 0x71: {
          // ldxb
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 1 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 1)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 1, false, st, sLo, pc >> 3);
          R[dd] = dv.getUint8(a);
          R[dd + 1] = 0;
          break;
        }
        case 0x79: {
          // ldxdw
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 8 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 8)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 8, false, st, sLo, pc >> 3);
          R[dd] = dv.getInt32(a, true);
          R[dd + 1] = dv.getInt32(a + 4, true);
          break;
        }
        case 0x81: {
          // ldxsw
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 4 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 4)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 4, false, st, sLo, pc >> 3);
          x = dv.getInt32(a, true);
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;
        }
        case 0x89: {
          // ldxsh
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 2 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 2)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 2, false, st, sLo, pc >> 3);
          x = dv.getInt16(a, true);
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;
        }
        case 0x91: {
          // ldxsb
          const ss = C[pc + 2]!;
          a = (R[ss]! >>> 0) + C[pc + 3]!;
          if (
            R[ss + 1] !== 0 ||
            ((a < space.hitStart || a + 1 > space.hitEnd) && (a - sLo) >>> 0 > FRAME - 1)
          )
            a = slowAddress(R, ss, C[pc + 3]!, 1, false, st, sLo, pc >> 3);
          x = dv.getInt8(a);
          R[dd] = x;
          R[dd + 1] = x >> 31;
          break;
        }
        case 0x62: {
          // stw
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 4 &&
              (a < space.hitStart || a + 4 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 4, true, st, sLo, pc >> 3);
          dv.setInt32(a, C[pc + 4]!, true);
          break;
        }
        case 0x6a: {
          // sth
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 2 &&
              (a < space.hitStart || a + 2 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 2, true, st, sLo, pc >> 3);
          dv.setInt16(a, C[pc + 4]!, true);
          break;
        }
        case 0x72: {
          // stb
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 1 &&
              (a < space.hitStart || a + 1 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 1, true, st, sLo, pc >> 3);
          dv.setInt8(a, C[pc + 4]!);
          break;
        }
        case 0x7a: {
          // stdw
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 8 &&
              (a < space.hitStart || a + 8 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 8, true, st, sLo, pc >> 3);
          dv.setInt32(a, C[pc + 4]!, true);
          dv.setInt32(a + 4, C[pc + 5]!, true);
          break;
        }
        case 0x63: {
          // stxw
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 4 &&
              (a < space.hitStart || a + 4 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 4, true, st, sLo, pc >> 3);
          dv.setInt32(a, R[C[pc + 2]!]!, true);
          break;
        }
        case 0x6b: {
          // stxh
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 2 &&
              (a < space.hitStart || a + 2 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 2, true, st, sLo, pc >> 3);
          dv.setInt16(a, R[C[pc + 2]!]!, true);
          break;
        }
        case 0x73: {
          // stxb
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 1 &&
              (a < space.hitStart || a + 1 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 1, true, st, sLo, pc >> 3);
          dv.setInt8(a, R[C[pc + 2]!]!);
          break;
        }
        case 0x7b: {
          // stxdw
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - 8 &&
              (a < space.hitStart || a + 8 > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, 8, true, st, sLo, pc >> 3);
          dv.setInt32(a, R[C[pc + 2]!]!, true);
          dv.setInt32(a + 4, R[C[pc + 2]! + 1]!, true);
          break;
        }

        // ---- atomics (§5.3): 280-289 on 32 bits, 290-299 on 64 bits ----
        case 280:
        case 281:
        case 282:
        case 283:
        case 284:
        case 285:
        case 286:
        case 287:
        case 288:
        case 289:
        case 290:
        case 291:
        case 292:
        case 293:
        case 294:
        case 295:
        case 296:
        case 297:
        case 298:
        case 299: {
          const n = op >= 290 ? 8 : 4;
          a = (R[dd]! >>> 0) + C[pc + 3]!;
          if (
            R[dd + 1] !== 0 ||
            ((a - sLo) >>> 0 > FRAME - n &&
              (a < space.hitStart || a + n > space.hitEnd || !space.hitWritable))
          )
            a = slowAddress(R, dd, C[pc + 3]!, n, true, st, sLo, pc >> 3);
          atomic(R, dv, a, op - 280, C[pc + 2]!);
          break;
        }

        // ---- legacy packet loads: r0 = ntohX(packet[imm (+ src)]); out of bounds → exit 0 ----
        case 0x20:
        case 0x28:
        case 0x30:
        case 0x40:
        case 0x48:
        case 0x50: {
          const packet = st.packet;
          if (packet === undefined)
            fault('legacy packet load (LD_ABS/LD_IND) needs a packet: run(args, { packet })', pc >> 3);
          const n = (op & 0x18) === 0 ? 4 : (op & 0x18) === 0x08 ? 2 : 1;
          // The kernel adds in 64 bits and passes an int offset (net/core/filter.c bpf_skb_load_helper_*).
          x = op >= 0x40 ? (R[C[pc + 2]!]! + C[pc + 4]!) | 0 : C[pc + 4]!;
          if (x < 0 || x + n > packet.size) {
            R[0] = 0;
            R[1] = 0;
            st.steps = acc + ((pc - start) >> 3) + 1;
            return;
          }
          a = packet.start + x;
          R[0] = n === 4 ? dv.getInt32(a, false) : n === 2 ? dv.getUint16(a, false) : dv.getUint8(a);
          R[1] = 0;
          break;
        }

        case 0x18: // lddw, resolved at predecode; two slots, one instruction
          R[dd] = C[pc + 4]!;
          R[dd + 1] = C[pc + 5]!;
          pc += 8;
          start += 8;
          break;

        // ---- calls and exit ----
        case 0x85: // helper call; CALLX_HELPER: callx with a helper ID, which case 0x8d left in x
        case 306: {
          const fn = op === 0x85 ? d.helpers[pc >> 3] : st.helpers?.get(x);
          if (fn === undefined) {
            if (op === 306)
              fault(
                `callx to 0x${x.toString(16)}: not a function, and the engine has no helper #${x}`,
                pc >> 3,
              );
            throw new NotSupportedError(
              `helper #${C[pc + 4]}`,
              `called at pc ${pc >> 3}; the engine's helper table has no entry`,
            );
          }
          st.env.pc = pc >> 3;
          syncFrames(space, st.stack, sLo + FRAME);
          const r = fn(
            st.env,
            arg64(R[2]!, R[3]!),
            arg64(R[4]!, R[5]!),
            arg64(R[6]!, R[7]!),
            arg64(R[8]!, R[9]!),
            arg64(R[10]!, R[11]!),
          );
          // Most helpers return an int or an address: one Number conversion, no BigInt made.
          x = Number(r);
          if (x >= -0x80000000 && x <= 0xffffffff) {
            R[0] = x | 0;
            R[1] = x < 0 ? -1 : 0;
          } else {
            R[0] = Number(BigInt.asUintN(32, r)) | 0;
            R[1] = Number(BigInt.asUintN(32, r >> 32n)) | 0;
          }
          if (st.env.exit) {
            st.steps = acc + ((pc - start) >> 3) + 1;
            return;
          }
          // The helper may have grown the memory: a grown Wasm memory detaches the old buffer
          // (a shared one does not, so it is re-read every time).
          if (st.shared || dv.buffer.byteLength === 0) dv = space.view;
          if (loaded !== d) load(d); // or run another program (into this arena or a larger one)
          break;
        }
        // callx: dst holds a function address (FUNC_BASE + 8 * slot, high word FUNC_HI: lddw
        // src_reg 4, Linux and clang) or a helper ID (high word 0, below 2^31: uBPF and the
        // bpf_conformance suite); runtime/abi.ts keeps the two ranges apart.
        case 0x8d:
        case 300: {
          let target: number;
          if (op === 300) target = C[pc + 6]!;
          else if (R[dd + 1] === 0 && R[dd]! >= 0) {
            x = R[dd]!;
            op = 306;
            continue;
          } else {
            const slot = ((R[dd]! >>> 0) - FUNC_BASE) / 8;
            if (
              R[dd + 1] !== FUNC_HI ||
              !Number.isInteger(slot) ||
              slot < 0 ||
              slot >= d.slots ||
              C[slot * 8] === 304
            )
              fault(
                `callx to 0x${join64(R[dd]!, R[dd + 1]!).toString(16)}: neither a function of this program nor a helper ID`,
                pc >> 3,
              );
            target = (slot - 1) * 8;
          }
          if (depth === MAX_DEPTH - 1) fault(`call stack exhausted: more than ${MAX_DEPTH} frames`, pc >> 3);
          acc += ((pc - start) >> 3) + 1;
          if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
          const s = depth * 10;
          saved[s] = R[12]!;
          saved[s + 1] = R[13]!;
          saved[s + 2] = R[14]!;
          saved[s + 3] = R[15]!;
          saved[s + 4] = R[16]!;
          saved[s + 5] = R[17]!;
          saved[s + 6] = R[18]!;
          saved[s + 7] = R[19]!;
          saved[s + 8] = R[20]!;
          saved[s + 9] = R[21]!;
          ret[depth] = pc;
          depth++;
          sLo += FRAME_STRIDE;
          R[20] = sLo + FRAME;
          R[21] = 0;
          if (depth > zeroed) {
            // A frame's first use in this run: it must not show an earlier run's bytes.
            new Uint8Array(dv.buffer, sLo, FRAME).fill(0);
            zeroed = depth;
          }
          pc = target;
          start = pc + 8;
          break;
        }
        case 301:
          throw new NotSupportedError(`kfunc call (BTF id ${C[pc + 4]})`, `at pc ${pc >> 3}`);
        case 0x95: {
          acc += ((pc - start) >> 3) + 1;
          if (acc > budget) throw new BudgetExceededError(budget, pc >> 3);
          if (depth === 0) {
            st.steps = acc;
            return;
          }
          depth--;
          const s = depth * 10;
          R[12] = saved[s]!;
          R[13] = saved[s + 1]!;
          R[14] = saved[s + 2]!;
          R[15] = saved[s + 3]!;
          R[16] = saved[s + 4]!;
          R[17] = saved[s + 5]!;
          R[18] = saved[s + 6]!;
          R[19] = saved[s + 7]!;
          R[20] = saved[s + 8]!;
          R[21] = saved[s + 9]!;
          pc = ret[depth]!;
          start = pc + 8;
          sLo -= FRAME_STRIDE;
          // The hit cache must not keep a frame that just died (one above sLo: one compare).
          if ((space.hitStart - sLo - 1) >>> 0 < MAX_DEPTH * FRAME_STRIDE) space.hitEnd = 0;
          break;
        }

        // ---- sentinels and the step hook ----
        case 302:
          fault(`execution fell off the end of the program (${d.slots} slots)`, C[pc + 4]!);
          break;
        case 303: {
          const to = C[pc + 6]!;
          const why = to >= 0 && to < d.slots ? 'into the middle of an lddw' : 'outside the program';
          fault(`jump to ${to}, ${why} (0..${d.slots - 1})`, C[pc + 4]!);
          break;
        }
        case 305: {
          const steps = acc + ((pc - start) >> 3);
          if (steps >= budget) throw new BudgetExceededError(budget, pc >> 3);
          if (st.hook!(pc >> 3, st.regsView, { steps, depth, memory: space }) === 'stop') {
            st.steps = steps;
            st.stoppedAt = pc >> 3;
            return;
          }
          dv = space.view;
          if (loaded !== d) load(d);
          op = C[pc + 7]!;
          continue;
        }
        default:
          fault(`internal error: no handler for op code ${op}`, pc >> 3);
      }
      pc += 8;
      op = C[pc]!;
    }
  }
}

/** One atomic read-modify-write at `a`; `code` is 0-9 on 32 bits, 10-19 on 64 (codes.ts order). */
function atomic(R: Int32Array, dv: DataView, a: number, code: number, s: number): void {
  const wide = code >= 10;
  const k = wide ? code - 10 : code;
  const vl = R[s]!;
  const vh = R[s + 1]!;
  if (!wide) {
    const old = dv.getInt32(a, true);
    let next: number;
    switch (k) {
      case 0:
      case 4:
        next = (old + vl) | 0;
        break;
      case 1:
      case 5:
        next = old | vl;
        break;
      case 2:
      case 6:
        next = old & vl;
        break;
      case 3:
      case 7:
        next = old ^ vl;
        break;
      case 8:
        next = vl;
        break;
      default: // cmpxchg: compare with the low half of r0; the old value goes to r0, zero-extended
        next = old === R[0] ? vl : old;
        R[0] = old;
        R[1] = 0;
    }
    dv.setInt32(a, next, true);
    if (k >= 4 && k <= 8) {
      R[s] = old;
      R[s + 1] = 0;
    }
    return;
  }
  const ol = dv.getInt32(a, true);
  const oh = dv.getInt32(a + 4, true);
  let nl: number;
  let nh: number;
  switch (k) {
    case 0:
    case 4: {
      const lo = (ol >>> 0) + (vl >>> 0);
      nl = lo | 0;
      nh = (oh + vh + (lo > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 1:
    case 5:
      nl = ol | vl;
      nh = oh | vh;
      break;
    case 2:
    case 6:
      nl = ol & vl;
      nh = oh & vh;
      break;
    case 3:
    case 7:
      nl = ol ^ vl;
      nh = oh ^ vh;
      break;
    case 8:
      nl = vl;
      nh = vh;
      break;
    default: {
      const eq = ol === R[0] && oh === R[1];
      nl = eq ? vl : ol;
      nh = eq ? vh : oh;
      R[0] = ol;
      R[1] = oh;
    }
  }
  dv.setInt32(a, nl, true);
  dv.setInt32(a + 4, nh, true);
  if (k >= 4 && k <= 8) {
    R[s] = ol;
    R[s + 1] = oh;
  }
}
