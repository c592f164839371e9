// The reference interpreter: the Engine that defines what a program means (the oracle the JIT
// and the kernel are compared against). It predecodes once, then each run maps a fresh stack,
// sets r1-r5 and r10 (the top of frame 0), and hands over to the loop in machine.ts. No verification happens here:
// unsafe programs fault at the offending instruction instead.

import { ClosedError, InvalidInstructionError, RuntimeFault } from '../errors.js';
import { type Instruction, join64, split64 } from '../isa/index.js';
import { FRAME_BYTES, FRAME_STRIDE, FUNC_BASE, FUNC_HI, MAX_CALL_FRAMES } from '../runtime/abi.js';
import {
  AddressSpace,
  DEFAULT_BUDGET,
  type Engine,
  type EngineOptions,
  type HelperEnv,
  type Region,
  type RegisterView,
  type RunOptions,
  type RunResult,
  type StepHook,
} from '../runtime/index.js';
import { LDDW_TAIL, STEP_TRAP } from './codes.js';
import { execute, REGS, type RunState } from './machine.js';
import { type Decoded, predecode, withStepTraps } from './predecode.js';

/** Bytes of stack per run: MAX_CALL_FRAMES frames of MAX_BPF_STACK bytes (kernel names). */
export const STACK_BYTES = MAX_CALL_FRAMES * FRAME_BYTES;

/**
 * Maps a run's stack: a reservation holding MAX_CALL_FRAMES frames of FRAME_BYTES, FRAME_STRIDE
 * apart (a guard gap between two frames), as one strided window of which only the live frames
 * (frame 0 .. the call depth) are accessible; the machine moves that count on call and exit.
 */
function mapStack(space: AddressSpace): Region {
  const size = (MAX_CALL_FRAMES - 1) * FRAME_STRIDE + FRAME_BYTES;
  const res = space.reserve('stack', size, { kind: 'stack', align: 16 });
  const w = space.mapWindow(res, 'stack', res.start, size, { stride: FRAME_STRIDE, elemSize: FRAME_BYTES });
  space.setElements(w, 1);
  return w;
}

/**
 * The stack of outermost runs, one per address space and shared by its interpreters (a stack
 * spans 8 frames and 7 guard gaps, about 260 KiB of linear memory: one per engine would grow
 * the memory with every engine made). `users` counts the engines holding it; `busy` is set
 * while a run is on it, so a run nested in another engine's takes a spare stack.
 */
interface SharedStack {
  readonly region: Region;
  users: number;
  busy: boolean;
}
const SHARED = new WeakMap<AddressSpace, SharedStack>();

/** Zeroes frame 0 of a stack; the machine zeroes each deeper frame on its first call in a run. */
function zeroFrames(space: AddressSpace, stack: Region): void {
  space.u8.fill(0, stack.start, stack.start + FRAME_BYTES);
}

class Registers implements RegisterView {
  readonly #r: Int32Array;
  constructor(r: Int32Array) {
    this.#r = r;
  }
  get(reg: number): bigint {
    this.#check(reg);
    return join64(this.#r[2 * reg]!, this.#r[2 * reg + 1]!);
  }
  set(reg: number, value: bigint): void {
    this.#check(reg);
    const [lo, hi] = split64(value);
    this.#r[2 * reg] = lo;
    this.#r[2 * reg + 1] = hi;
  }
  snapshot(): bigint[] {
    return Array.from({ length: 11 }, (_, k) => this.get(k));
  }
  #check(reg: number): void {
    if (!Number.isInteger(reg) || reg < 0 || reg > 10) throw new RangeError(`no register r${reg}`);
  }
}

export class Interpreter implements Engine {
  readonly memory: AddressSpace;
  readonly #code: Decoded;
  readonly #budget: number;
  readonly #hook: StepHook | undefined;

  constructor(program: readonly Instruction[], options: EngineOptions = {}) {
    this.memory = options.memory ?? new AddressSpace();
    const code = predecode(program, options.helpers, options.resolveLddw);
    if (code.slots === 0) throw new InvalidInstructionError('empty program');
    // With a step hook, run a copy whose slots trap first; the plain copy stays hook-free.
    this.#code = options.onStep === undefined ? code : withStepTraps(code);
    this.#budget = options.budget ?? DEFAULT_BUDGET;
    this.#hook = options.onStep;
  }

  /** Number of 8-byte slots (the pc range). */
  get slots(): number {
    return this.#code.slots;
  }

  run(args: readonly bigint[] = [], options: RunOptions = {}): RunResult {
    return this.#execute(0, args, options);
  }

  /**
   * Runs the BPF function that starts at `slot` (a callback of bpf_loop and friends) with r1-r5 =
   * args on a fresh stack, as a nested run when a helper calls it, and returns its r0.
   */
  callFunction(slot: number, args: readonly bigint[] = [], options: RunOptions = {}): RunResult {
    const code = this.#code.code;
    const op = (k: number) => (code[k * 8] === STEP_TRAP ? code[k * 8 + 7] : code[k * 8]);
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.#code.slots || op(slot) === LDDW_TAIL) {
      throw new RuntimeFault(`no function at slot ${slot} (0..${this.#code.slots - 1})`, -1);
    }
    return this.#execute(slot, args, options);
  }

  /** Stacks of finished callback runs, kept for the next callback until the outermost run ends. */
  readonly #spareStacks: Region[] = [];
  /** Runs of this engine in progress (callbacks nest inside a run). */
  #active = 0;

  /** The space's shared stack of outermost runs, taken on first use and held until close(). */
  #mainStack: SharedStack | undefined;
  /** Initial registers of a run (r1-r5, r10), reused. */
  readonly #init = new Int32Array(22);
  readonly #regsView = new Registers(REGS);

  #execute(entry: number, args: readonly bigint[], options: RunOptions): RunResult {
    if (args.length > 5) throw new RangeError(`at most 5 arguments (r1-r5), got ${args.length}`);
    if (this.#closed) throw new ClosedError('interpreter');
    const outermost = this.#active === 0;
    // Outermost runs reuse one stack, zeroed so that a run never sees an earlier run's bytes.
    // A callback (bpf_loop may make millions) reuses a spare stack without zeroing: the
    // verifier guarantees a program never reads stack bytes it did not write.
    let stack: Region;
    if (outermost && entry === 0 && this.#shared().busy === false) {
      const shared = this.#shared();
      shared.busy = true;
      stack = shared.region;
      zeroFrames(this.memory, stack);
    } else {
      stack = this.#spareStacks.pop() ?? mapStack(this.memory);
    }
    const R = outermost ? this.#init.fill(0) : new Int32Array(22);
    for (let k = 0; k < args.length; k++) {
      const [lo, hi] = split64(args[k]!);
      R[2 * k + 2] = lo;
      R[2 * k + 3] = hi;
    }
    R[20] = stack.start + FRAME_BYTES;
    this.#active++;
    const env: { memory: AddressSpace; pc: number } & HelperEnv = {
      memory: this.memory,
      pc: 0,
      exit: false,
      callFunction: (fn, a) => this.#callback(fn, a, env.pc),
    };
    const state: RunState = {
      space: this.memory,
      stack,
      budget: options.budget ?? this.#budget,
      hook: this.#hook,
      regsView: this.#regsView,
      packet: options.packet,
      env,
      entry,
      steps: 0,
      stoppedAt: undefined,
    };
    let r0: bigint;
    try {
      r0 = execute(this.#code, R, state);
    } finally {
      this.#active--;
      if (stack === this.#mainStack?.region) this.#mainStack.busy = false;
      else this.#spareStacks.push(stack);
      if (this.#active === 0) {
        for (const s of this.#spareStacks) this.memory.release(s.parent!);
        this.#spareStacks.length = 0;
      }
    }
    if (entry !== 0 && env.exit) {
      throw new RuntimeFault('a helper ended the run inside a callback (bpf_tail_call?)', env.pc);
    }
    return state.stoppedAt === undefined
      ? { r0, steps: state.steps }
      : { r0, steps: state.steps, stoppedAt: state.stoppedAt };
  }

  #closed = false;

  /** The shared stack of this engine's space, joined on first use. */
  #shared(): SharedStack {
    if (this.#mainStack !== undefined) return this.#mainStack;
    let shared = SHARED.get(this.memory);
    if (shared === undefined) {
      shared = { region: mapStack(this.memory), users: 0, busy: false };
      SHARED.set(this.memory, shared);
    }
    shared.users++;
    this.#mainStack = shared;
    return shared;
  }

  /** Unmaps the interpreter's stack; running afterwards throws ClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const shared = this.#mainStack;
    this.#mainStack = undefined;
    if (shared !== undefined && --shared.users === 0) {
      SHARED.delete(this.memory);
      this.memory.release(shared.region.parent!);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** HelperEnv.callFunction: `fn` is a function address (FUNC_BASE + 8 * slot, high half FUNC_HI). */
  #callback(fn: bigint, args: readonly bigint[], pc: number): bigint {
    const lo = Number(fn & 0xffffffffn);
    const slot = (lo - FUNC_BASE) / 8;
    if (fn >> 32n !== BigInt(FUNC_HI >>> 0) || lo < FUNC_BASE || !Number.isInteger(slot)) {
      throw new RuntimeFault(`callback 0x${fn.toString(16)} is not a function address`, pc);
    }
    if (slot >= this.#code.slots) throw new RuntimeFault(`callback to slot ${slot}, outside the program`, pc);
    const r = this.callFunction(slot, args);
    if (r.stoppedAt !== undefined) {
      throw new RuntimeFault(`the step hook stopped inside a callback (slot ${r.stoppedAt})`, pc);
    }
    return r.r0;
  }
}
