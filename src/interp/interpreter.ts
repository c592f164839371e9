// The reference interpreter: the Engine that defines what a program means (the oracle the JIT
// and the kernel are compared against). It predecodes once, then each run maps a fresh stack,
// sets r1-r5 and r10 (the top of frame 0), and hands over to the loop in machine.ts. No verification happens here:
// unsafe programs fault at the offending instruction instead.

import { ClosedError, InvalidInstructionError, RuntimeFault } from '../errors.js';
import { type Instruction, join64, split64 } from '../isa/index.js';
import { FRAME_BYTES, FUNC_BASE, FUNC_HI, MAX_CALL_FRAMES } from '../runtime/abi.js';
import {
  AddressSpace,
  DEFAULT_BUDGET,
  type Engine,
  type EngineOptions,
  type HelperEnv,
  joinSharedStack,
  leaveSharedStack,
  mapStack,
  type Region,
  type RegisterView,
  type RunOptions,
  type RunResult,
  type SharedStack,
  type StepHook,
} from '../runtime/index.js';
import { LDDW_TAIL, STEP_TRAP } from './codes.js';
import { endContextRun, execute, executeContext, machineIdle, REGS, type RunState } from './machine.js';
import { type Decoded, predecode, withStepTraps } from './predecode.js';

/** Bytes of stack per run: MAX_CALL_FRAMES frames of MAX_BPF_STACK bytes (kernel names). */
export const STACK_BYTES = MAX_CALL_FRAMES * FRAME_BYTES;

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
  readonly engineName = 'interp';
  /** Set by load() when the interpreter stands in for the JIT: the JIT's reason. */
  engineReason: string | undefined = undefined;
  readonly #code: Decoded;
  readonly #budget: number;
  readonly #hook: StepHook | undefined;
  readonly #regsView = new Registers(REGS);

  constructor(program: readonly Instruction[], options: EngineOptions = {}) {
    this.memory = options.memory ?? new AddressSpace();
    const code = predecode(program, options.helpers, options.resolveLddw);
    if (code.slots === 0) throw new InvalidInstructionError('empty program');
    // With a step hook, run a copy whose slots trap first; the plain copy stays hook-free.
    this.#code = options.onStep === undefined ? code : withStepTraps(code);
    this.#budget = options.budget ?? DEFAULT_BUDGET;
    this.#hook = options.onStep;
    const env: { memory: AddressSpace; pc: number } & HelperEnv = {
      memory: this.memory,
      pc: 0,
      exit: false,
      callFunction: (fn, a) => this.#callback(fn, a, env.pc),
    };
    this.#env = env;
    const view = this.memory.view;
    this.#probe = this.memory.u8;
    this.#shared = this.memory.shared;
    this.#state = {
      space: this.memory,
      stack: undefined as never, // set by every run
      budget: this.#budget,
      hook: this.#hook,
      regsView: this.#regsView,
      packet: undefined,
      env,
      helpers: options.helpers,
      view,
      shared: this.#shared,
      entry: 0,
      steps: 0,
      stoppedAt: undefined,
      r0hi: 0,
    };
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
  /** Initial registers of an outermost run (r1-r5, r10), reused. */
  readonly #init = new Int32Array(22);
  /** The helper env and run state of outermost runs, made once and re-filled by each run. */
  readonly #env: { memory: AddressSpace; pc: number } & HelperEnv;
  readonly #state: RunState;
  /** A SharedArrayBuffer does not detach when the memory grows: refresh the view every run. */
  readonly #shared: boolean;
  /** A typed array over the buffer `#state.view` reads: its length drops to 0 when that detaches. */
  #probe: Uint8Array;

  /**
   * Engine.runContext: r1 = ctx, r10 = the top of frame 0 of the space's stack, other registers 0; no
   * BigInt, no per-run object, and the stack is not cleared between runs. Why that is sound: a
   * verified program never reads stack bytes it did not write in the same run (the kernel's
   * check_stack_read refuses it), so for it the old bytes cannot matter, and the kernel does not
   * clear its BPF stack between runs either. An unverified program that reads them sees what
   * earlier runs on this address space's stack left there: still deterministic (a function of
   * the space's run sequence alone), never another address space's bytes. The stack
   * is zeroed when it is mapped; run() clears frame 0 and the machine each deeper frame on its
   * first call in a run (its contract: a fresh stack).
   */
  runContext(ctx: number, packet?: Region): number {
    // Any run in progress (this engine's, or another's whose helper runs this one): nested path.
    if (this.#active !== 0 || this.#closed || ctx !== ctx >>> 0 || !machineIdle())
      return this.#runContextSlow(ctx, packet);
    const shared = this.#mainStack ?? this.#sharedStack();
    // Another engine's run on the shared stack (a helper running a second program): nested path.
    if (shared.busy) return this.#runContextSlow(ctx, packet);
    shared.busy = true;
    const st = this.#state;
    st.stack = shared.region;
    st.budget = this.#budget;
    st.packet = packet;
    st.entry = 0;
    st.stoppedAt = undefined;
    // A grown Wasm memory detaches the buffer: a typed array's length (0 once detached) is a
    // cheaper test than the DataView's buffer.byteLength (measured ~3 ns per run).
    if (this.#shared || this.#probe.length === 0) {
      st.view = this.memory.view;
      this.#probe = this.memory.u8;
    }
    this.#env.exit = false;
    this.#active = 1;
    try {
      return executeContext(this.#code, st, ctx | 0, shared.region.start + FRAME_BYTES) >>> 0;
    } finally {
      endContextRun();
      this.#active = 0;
      shared.busy = false;
      if (this.#spareStacks.length > 0) this.#releaseSpares();
    }
  }

  clearStack(): void {
    const stack = this.#mainStack?.region;
    if (stack !== undefined) this.memory.u8.fill(0, stack.start, stack.end);
  }

  /** runContext's checks and its nested form (a helper running this engine again). */
  #runContextSlow(ctx: number, packet: Region | undefined): number {
    if (this.#closed) throw new ClosedError('interpreter');
    if (!Number.isInteger(ctx) || ctx < 0 || ctx > 0xffffffff)
      throw new RangeError(`ctx ${ctx} is not an address (0..2^32-1)`);
    const r = this.#execute(0, [BigInt(ctx)], packet === undefined ? {} : { packet });
    return Number(r.r0 & 0xffffffffn);
  }

  #releaseSpares(): void {
    for (const s of this.#spareStacks) this.memory.release(s.parent!);
    this.#spareStacks.length = 0;
  }

  #execute(entry: number, args: readonly bigint[], options: RunOptions): RunResult {
    if (args.length > 5) throw new RangeError(`at most 5 arguments (r1-r5), got ${args.length}`);
    if (this.#closed) throw new ClosedError('interpreter');
    const outermost = this.#active === 0;
    // Outermost runs reuse one stack, zeroed so that a run never sees an earlier run's bytes.
    // A callback (bpf_loop may make millions) reuses a spare stack without zeroing: the
    // verifier guarantees a program never reads stack bytes it did not write.
    let stack: Region;
    if (outermost && entry === 0 && this.#sharedStack().busy === false) {
      const shared = this.#sharedStack();
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
    let state: RunState;
    if (outermost) {
      state = this.#state;
      state.stack = stack;
      state.budget = options.budget ?? this.#budget;
      state.packet = options.packet;
      state.entry = entry;
      state.steps = 0;
      state.stoppedAt = undefined;
      state.view = this.memory.view;
      this.#env.exit = false;
    } else {
      // A nested run (a callback inside a helper) gets its own env: the outer helper's env.pc
      // and exit flag must survive it.
      const env: { memory: AddressSpace; pc: number } & HelperEnv = {
        memory: this.memory,
        pc: 0,
        exit: false,
        callFunction: (fn, a) => this.#callback(fn, a, env.pc),
      };
      state = { ...this.#state, env, stack, entry, packet: options.packet, view: this.memory.view };
      state.budget = options.budget ?? this.#budget;
      state.steps = 0;
      state.stoppedAt = undefined;
    }
    this.#active++;
    let lo: number;
    try {
      lo = execute(this.#code, R, state);
    } finally {
      this.#active--;
      if (stack === this.#mainStack?.region) this.#mainStack.busy = false;
      else this.#spareStacks.push(stack);
      if (this.#active === 0) {
        this.#releaseSpares();
        R.fill(0);
      }
    }
    if (entry !== 0 && state.env.exit) {
      throw new RuntimeFault('a helper ended the run inside a callback (bpf_tail_call?)', state.env.pc);
    }
    const r0 = join64(lo, state.r0hi);
    return state.stoppedAt === undefined
      ? { r0, steps: state.steps }
      : { r0, steps: state.steps, stoppedAt: state.stoppedAt };
  }

  #closed = false;

  /** The shared stack of this engine's space, joined on first use. */
  #sharedStack(): SharedStack {
    this.#mainStack ??= joinSharedStack(this.memory);
    return this.#mainStack;
  }

  /** Unmaps the interpreter's stack; running afterwards throws ClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const shared = this.#mainStack;
    this.#mainStack = undefined;
    if (shared !== undefined) leaveSharedStack(this.memory, shared);
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
