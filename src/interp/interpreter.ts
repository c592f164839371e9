// The reference interpreter: the Engine that defines what a program means (the oracle the JIT
// and the kernel are compared against). It predecodes once, then each run maps a fresh stack,
// sets r1-r5 and r10, and hands over to the loop in machine.ts. No verification happens here:
// unsafe programs fault at the offending instruction instead.

import { InvalidInstructionError } from '../errors.js';
import { type Instruction, join64, split64 } from '../isa/index.js';
import {
  AddressSpace,
  DEFAULT_BUDGET,
  type Engine,
  type EngineOptions,
  type HelperEnv,
  type RegisterView,
  type RunOptions,
  type RunResult,
  type StepHook,
} from '../runtime/index.js';
import { execute, REGS, type RunState } from './machine.js';
import { type Decoded, predecode, withStepTraps } from './predecode.js';

/** Bytes of stack per run: MAX_CALL_FRAMES frames of MAX_BPF_STACK bytes (kernel names). */
export const STACK_BYTES = 8 * 512;

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
    if (args.length > 5) throw new RangeError(`at most 5 arguments (r1-r5), got ${args.length}`);
    const R = new Int32Array(22);
    args.forEach((v, k) => {
      const [lo, hi] = split64(v);
      R[2 * k + 2] = lo;
      R[2 * k + 3] = hi;
    });
    const stack = this.memory.allocate('stack', STACK_BYTES, { kind: 'stack', align: 16 });
    R[20] = stack.end;
    const env: { memory: AddressSpace; pc: number } & HelperEnv = { memory: this.memory, pc: 0, exit: false };
    const state: RunState = {
      space: this.memory,
      stack,
      budget: options.budget ?? this.#budget,
      hook: this.#hook,
      regsView: new Registers(REGS),
      packet: options.packet,
      env,
      steps: 0,
      stoppedAt: undefined,
    };
    let out: Int32Array;
    try {
      out = execute(this.#code, R, state);
    } finally {
      this.memory.release(stack);
    }
    const r0 = join64(out[0]!, out[1]!);
    return state.stoppedAt === undefined
      ? { r0, steps: state.steps }
      : { r0, steps: state.steps, stoppedAt: state.stoppedAt };
  }
}
