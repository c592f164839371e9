// The JIT engine: a program compiled to Wasm (compile.ts) and instantiated over the address
// space's own WebAssembly.Memory, so context, packet, stack and map values are where the
// interpreter has them. The imports here are the compiled code's way back into the runtime:
// the slow memory check (region search, MemoryFault), helpers (the interpreter's HelperEnv
// contract: r1-r5 in, r0 out, `exit` ends the run), callx resolution and `raise`.

import { BudgetExceededError, ClosedError, MemoryFault, NotSupportedError, RuntimeFault } from '../errors.js';
import { type Instruction, join64, split64 } from '../isa/index.js';
import {
  AddressSpace,
  DEFAULT_BUDGET,
  type Engine,
  type EngineOptions,
  FRAME_BYTES,
  FUNC_BASE,
  FUNC_HI,
  type HelperEnv,
  type HelperFn,
  type HelperTable,
  joinSharedStack,
  leaveSharedStack,
  MAX_CALL_FRAMES,
  mapStack,
  type Region,
  type RunOptions,
  type RunResult,
  type SharedStack,
  setLiveFrames,
} from '../runtime/index.js';
import { type Compiled, compile } from './compile.js';
import { EXPORT, GLOBALS, type GlobalName, RAISE } from './module-abi.js';
import { Wasm, type WasmGlobal } from './wasm/index.js';

declare const performance: { now(): number };

/** The error for a context argument that is not a u32 address. */
function notAddress(ctx: number): RangeError {
  return new RangeError(`ctx ${ctx} is not an address (0..2^32-1)`);
}

/** Thrown through the compiled code to end a run early with r0 (a helper's `exit`, LD_ABS out of bounds). */
class RunExit {
  readonly r0: bigint;
  constructor(r0: bigint) {
    this.r0 = r0;
  }
}

type Fn = (...regs: bigint[]) => bigint[];

/** The state of one run in progress (runs nest when a helper calls back into the program). */
interface Frame {
  stack: Region;
  budget: number;
  env: { memory: AddressSpace; pc: number } & HelperEnv;
}

export class JitEngine implements Engine {
  readonly memory: AddressSpace;
  readonly engineName = 'jit';
  readonly engineReason = undefined;
  /** Milliseconds spent compiling and instantiating. */
  readonly compileMs: number;
  /** Bytes of the Wasm module. */
  readonly codeBytes: number;
  readonly #compiled: Compiled;
  readonly #helpers: HelperTable | undefined;
  readonly #budget: number;
  readonly #g: Record<GlobalName, WasmGlobal>;
  readonly #fns: Fn[];
  readonly #runCtx: (ctx: number) => number;
  readonly #runBatch: (ctxs: number, count: number, results: number) => void;
  readonly #runRepeat: (ctx: number, count: number) => number;
  /** The space's shared stack of outermost runs (runtime/stack.ts), joined on the first run. */
  #main: SharedStack | undefined;
  /** Resets the access sites' caches (the module's `invalidate`). */
  readonly #invalidate: () => void;
  readonly #spares: Region[] = [];
  #run: Frame;
  #active = 0;
  #closed = false;
  /** The globals hold an outermost runContext's set-up (main stack, default budget, no packet). */
  #ready = false;

  constructor(program: readonly Instruction[], options: EngineOptions = {}) {
    if (options.onStep !== undefined)
      throw new NotSupportedError('step hook on the JIT', 'the interpreter runs it');
    const t0 = performance.now();
    this.memory = options.memory ?? new AddressSpace();
    if (this.memory.shared)
      throw new NotSupportedError('JIT on a shared memory', 'the module imports a plain memory');
    this.#helpers = options.helpers;
    this.#budget = options.budget ?? DEFAULT_BUDGET;
    this.#compiled = compile(program, {
      helpers: options.helpers,
      resolveLddw: options.resolveLddw,
      proved: options.proved,
      cfg: options.cfg,
    });
    const instance = new Wasm.Instance(new Wasm.Module(this.#compiled.bytes), {
      env: {
        memory: this.memory.memory,
        slow: (lo: number, hi: number, off: number, size: number, write: number, pc: number) =>
          this.#slow(lo, hi, off, size, write === 1, pc),
        helper: (pc: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) =>
          this.#callHelper(this.#compiled.helperAt[pc]!, pc, r1, r2, r3, r4, r5),
        callxTarget: (lo: number, hi: number, pc: number) => this.#callxTarget(lo, hi, pc),
        helperById: (id: number, pc: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => {
          const fn = this.#helpers?.get(id);
          if (fn === undefined)
            throw new RuntimeFault(
              `callx to 0x${id.toString(16)}: not a function, and the engine has no helper #${id}`,
              pc,
            );
          return this.#callHelper(fn, pc, r1, r2, r3, r4, r5);
        },
        raise: (code: number, pc: number, arg: number) => this.#raise(code, pc, arg),
      },
    });
    const ex = instance.exports;
    this.#g = Object.fromEntries(GLOBALS.map((n) => [n, ex[n] as WasmGlobal])) as Record<
      GlobalName,
      WasmGlobal
    >;
    this.#fns = this.#compiled.functionStarts.map((_, k) => ex[EXPORT.fn(k)] as Fn);
    this.#runCtx = ex[EXPORT.runCtx] as (ctx: number) => number;
    this.#runBatch = ex[EXPORT.runBatch] as (ctxs: number, count: number, results: number) => void;
    this.#runRepeat = ex[EXPORT.runRepeat] as (ctx: number, count: number) => number;
    this.#invalidate = ex[EXPORT.invalidate] as () => void;
    this.#run = { stack: undefined as never, budget: this.#budget, env: this.#makeEnv() };
    this.codeBytes = this.#compiled.bytes.length;
    this.compileMs = performance.now() - t0;
  }

  /** The shared stack, joined on first use (a method: a private getter costs ~15 ns per call on Node 20). */
  #shared(): SharedStack {
    this.#main ??= joinSharedStack(this.memory);
    return this.#main;
  }

  get slots(): number {
    return this.#compiled.slots;
  }

  #makeEnv(): { memory: AddressSpace; pc: number } & HelperEnv {
    const env: { memory: AddressSpace; pc: number } & HelperEnv = {
      memory: this.memory,
      pc: 0,
      exit: false,
      callFunction: (fn, args) => this.#callback(fn, args, env.pc),
    };
    return env;
  }

  run(args: readonly bigint[] = [], options: RunOptions = {}): RunResult {
    return this.#execute(0, args, options);
  }

  callFunction(slot: number, args: readonly bigint[] = [], options: RunOptions = {}): RunResult {
    const k = this.#compiled.functionStarts.indexOf(slot);
    if (
      !Number.isInteger(slot) ||
      slot < 0 ||
      slot >= this.#compiled.slots ||
      this.#compiled.lddwTails.has(slot)
    )
      throw new RuntimeFault(`no function at slot ${slot} (0..${this.#compiled.slots - 1})`, -1);
    if (k < 0)
      throw new NotSupportedError(`callFunction at slot ${slot}`, 'the JIT compiles only subprogram starts');
    return this.#execute(k, args, options);
  }

  runContext(ctx: number, packet?: Region): number {
    // The fast path, kept small so that V8 inlines it into its callers: an outermost run on the
    // space's shared stack whose globals are already set (#ready); the rest is #runContextSlow.
    const shared = this.#main;
    if (this.#active !== 0 || shared === undefined || shared.busy || !this.#ready || packet !== undefined)
      return this.#runContextSlow(ctx, packet);
    if (ctx !== ctx >>> 0) throw notAddress(ctx);
    if (this.memory.epoch !== this.#epoch) this.#syncEpoch();
    return this.#go(shared, ctx);
  }

  /** runContext when it must first set the globals (first run, a packet), or nests in a run. */
  #runContextSlow(ctx: number, packet: Region | undefined): number {
    if (this.#closed) throw new ClosedError('JIT engine');
    if (ctx !== ctx >>> 0) throw notAddress(ctx);
    // Nested in a run (this engine's, or another engine's on the shared stack): the general path.
    if (this.#active !== 0 || this.#shared().busy) {
      const r = this.#execute(0, [BigInt(ctx)], packet === undefined ? {} : { packet });
      return Number(r.r0 & 0xffffffffn);
    }
    // The globals runCtx does not reset itself (stack, budget, packet) are set only when they change.
    const shared = this.#shared();
    this.#enter(shared.region, this.#budget, packet);
    this.#ready = packet === undefined;
    this.#syncEpoch();
    return this.#go(shared, ctx);
  }

  /** One outermost run of runCtx on the shared stack, the globals set. */
  #go(shared: SharedStack, ctx: number): number {
    this.#run.env.exit = false;
    this.#active = 1;
    shared.busy = true;
    try {
      return this.#runCtx(ctx) >>> 0;
    } catch (e) {
      if (e instanceof RunExit) return Number(e.r0 & 0xffffffffn);
      throw e;
    } finally {
      this.#active = 0;
      shared.busy = false;
      if (this.#spares.length !== 0) this.#releaseSpares();
    }
  }

  /**
   * Runs the program on `count` contexts whose u32 addresses are at `ctxs` (in this space),
   * writing each r0's low word as u32 at `results`: one call into Wasm for the whole batch.
   * Returns how many ran: a run that a helper's exit ended (a tail call) is the last one, for
   * the caller to follow. `enter(k)` is called before the first helper call of run k (so a
   * host can point its helpers at that run's context); runs that call no helper skip it.
   */
  runBatch(ctxs: number, count: number, results: number, enter?: (k: number) => void): number {
    if (this.#closed) throw new ClosedError('JIT engine');
    const shared = this.#shared();
    if (this.#active !== 0 || shared.busy) return this.#batchNested(ctxs, count, results, enter);
    if (!this.#ready) {
      this.#enter(shared.region, this.#budget, undefined);
      this.#ready = true;
    }
    this.#syncEpoch();
    this.#run.env.exit = false;
    this.#entered = -1;
    this.#onEnter = enter;
    this.#active = 1;
    shared.busy = true;
    try {
      this.#runBatch(ctxs, count, results);
      return count;
    } catch (e) {
      if (!(e instanceof RunExit)) throw e;
      const k = this.#g.iter.value as number;
      this.memory.view.setUint32(results + 4 * k, Number(e.r0 & 0xffffffffn), true);
      return k + 1;
    } finally {
      this.#active = 0;
      shared.busy = false;
      this.#onEnter = undefined;
      this.#releaseSpares();
    }
  }

  /** runBatch from inside a run (a helper running the program again): one runContext each. */
  #batchNested(ctxs: number, count: number, results: number, enter?: (k: number) => void): number {
    const v = this.memory.view;
    for (let k = 0; k < count; k++) {
      enter?.(k);
      v.setUint32(results + 4 * k, this.runContext(v.getUint32(ctxs + 4 * k, true)), true);
      if (this.#run.env.exit) return k + 1;
    }
    return count;
  }

  /**
   * runContext on one context `count` times in one call into Wasm (BPF_PROG_TEST_RUN's
   * repeat); returns r0's low word of the last run. Stops after a run that a helper's exit
   * ended (a tail call, for the caller to follow); `repeatDone` is the number of runs done.
   */
  runRepeat(ctx: number, count: number, packet?: Region): number {
    if (this.#active !== 0 || this.#closed || ctx !== ctx >>> 0 || this.#shared().busy) {
      this.repeatDone = 1;
      return this.runContext(ctx, packet);
    }
    const shared = this.#shared();
    if (!this.#ready || packet !== undefined) {
      this.#enter(shared.region, this.#budget, packet);
      this.#ready = packet === undefined;
    }
    this.#syncEpoch();
    this.#run.env.exit = false;
    this.#active = 1;
    shared.busy = true;
    try {
      const r0 = this.#runRepeat(ctx, count) >>> 0;
      this.repeatDone = count;
      return r0;
    } catch (e) {
      if (!(e instanceof RunExit)) throw e;
      this.repeatDone = (this.#g.iter.value as number) + 1;
      return Number(e.r0 & 0xffffffffn);
    } finally {
      this.#active = 0;
      shared.busy = false;
      this.#releaseSpares();
    }
  }

  /** Runs done by the last runRepeat. */
  repeatDone = 0;
  /** runBatch's enter hook, and the run it was last called for. */
  #onEnter: ((k: number) => void) | undefined;
  #entered = -1;

  clearStack(): void {
    const s = this.#main?.region;
    if (s !== undefined) this.memory.u8.fill(0, s.start, s.start + FRAME_BYTES);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#main !== undefined) leaveSharedStack(this.memory, this.#main);
    this.#main = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Space epoch the access sites' caches were filled under. */
  #epoch = -1;

  /** Invalidates the access sites' caches if the space's regions changed since they were filled. */
  #syncEpoch(): void {
    const e = this.memory.epoch;
    if (e === this.#epoch) return;
    this.#epoch = e;
    this.#invalidate();
  }

  /** Sets the globals of a run starting on `stack`. */
  #enter(stack: Region, budget: number, packet: Region | undefined): void {
    const g = this.#g;
    g.stack.value = stack.start;
    g.budget.value = Math.max(0, Math.min(budget, 0x7fffffff));
    g.steps.value = 0;
    g.depth.value = 0;
    g.zeroed.value = 0;
    this.#invalidate();
    g.pktStart.value = packet?.start ?? 0;
    g.pktSize.value = packet === undefined ? -1 : packet.size;
    setLiveFrames(this.memory, stack, 0);
    this.#run.stack = stack;
    this.#run.budget = budget;
  }

  #execute(fn: number, args: readonly bigint[], options: RunOptions): RunResult {
    this.#ready = false;
    if (args.length > 5) throw new RangeError(`at most 5 arguments (r1-r5), got ${args.length}`);
    if (this.#closed) throw new ClosedError('JIT engine');
    const outermost = this.#active === 0;
    const saved = outermost ? undefined : this.#save();
    // Outermost runs use the space's shared stack unless another engine's run is on it.
    const shared = outermost && !this.#shared().busy ? this.#shared() : undefined;
    const stack = shared?.region ?? this.#spares.pop() ?? mapStack(this.memory);
    if (outermost) this.memory.u8.fill(0, stack.start, stack.start + FRAME_BYTES);
    const outerRun = this.#run;
    if (!outermost) this.#run = { stack, budget: 0, env: this.#makeEnv() };
    if (shared !== undefined) shared.busy = true;
    this.#enter(stack, options.budget ?? this.#budget, options.packet);
    this.#run.env.exit = false;
    const regs = [0n, ...args.map((a) => BigInt.asUintN(64, a))];
    while (regs.length < 10) regs.push(0n);
    this.#active++;
    let r0: bigint;
    try {
      r0 = BigInt.asUintN(64, this.#fns[fn]!(...regs)[0]!);
    } catch (e) {
      if (!(e instanceof RunExit)) throw e;
      if (fn !== 0 || !outermost)
        throw new RuntimeFault('a helper ended the run inside a callback (bpf_tail_call?)', this.#run.env.pc);
      r0 = BigInt.asUintN(64, e.r0);
    } finally {
      this.#active--;
      if (shared !== undefined) shared.busy = false;
      else this.#spares.push(stack);
      if (!outermost) this.#run = outerRun;
    }
    const steps = this.#g.steps.value as number;
    if (saved !== undefined) this.#restore(saved);
    if (outermost) this.#releaseSpares();
    return { r0, steps };
  }

  #save(): number[] {
    return GLOBALS.map((n) => this.#g[n].value as number);
  }

  #restore(values: readonly number[]): void {
    // The generation only moves forward: sites the inner run filled must not match the outer one's.
    const gen = this.#g.gen.value as number;
    GLOBALS.forEach((n, k) => {
      this.#g[n].value = values[k]!;
    });
    this.#g.gen.value = gen;
    // Regions may have changed under the outer run: its sites' caches are stale.
    this.#invalidate();
    this.#ready = false;
    setLiveFrames(this.memory, this.#run.stack, this.#g.depth.value as number);
  }

  #releaseSpares(): void {
    // Usually empty: setting `length` is a builtin call that costs more than the whole run.
    if (this.#spares.length === 0) return;
    for (const s of this.#spares) this.memory.release(s.parent!);
    this.#spares.length = 0;
  }

  /** The slow memory check: the interpreter's slowAddress, then the inline caches refilled. */
  #slow(lo: number, hi: number, off: number, size: number, write: boolean, pc: number): void {
    const space = this.memory;
    setLiveFrames(space, this.#run.stack, this.#g.depth.value as number);
    if (hi === 0) {
      const a = (lo >>> 0) + off;
      if (a >= 0) {
        const r = space.find(a, size);
        if (r !== undefined && (r.writable || !write)) {
          const g = this.#g;
          g.rStart.value = space.hitStart;
          g.rEnd.value = space.hitEnd;
          if (r.writable) {
            g.wStart.value = space.hitStart;
            g.wEnd.value = space.hitEnd;
          }
          return;
        }
      }
    }
    const pointer = join64(lo, hi);
    const full = BigInt.asUintN(64, pointer + BigInt(off));
    throw new MemoryFault(pc, write ? 'write' : 'read', full, size, space.describeNearest(pointer));
  }

  #callHelper(fn: HelperFn, pc: number, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint {
    const env = this.#run.env;
    env.pc = pc;
    if (this.#onEnter !== undefined && this.#active === 1) {
      const k = this.#g.iter.value as number;
      if (k !== this.#entered) {
        this.#entered = k;
        this.#onEnter(k);
      }
    }
    setLiveFrames(this.memory, this.#run.stack, this.#g.depth.value as number);
    const u = (v: bigint) => BigInt.asUintN(64, v);
    const r = fn(env, u(r1), u(r2), u(r3), u(r4), u(r5));
    // The sites' cached ranges stay valid unless the helper shrank or moved a region.
    this.#syncEpoch();
    if (env.exit) throw new RunExit(r);
    return r;
  }

  #callxTarget(lo: number, hi: number, pc: number): number {
    if (hi === 0 && lo >= 0) return -1;
    const c = this.#compiled;
    const slot = ((lo >>> 0) - FUNC_BASE) / 8;
    if (hi !== FUNC_HI || !Number.isInteger(slot) || slot < 0 || slot >= c.slots || c.lddwTails.has(slot))
      throw new RuntimeFault(
        `callx to 0x${join64(lo, hi).toString(16)}: neither a function of this program nor a helper ID`,
        pc,
      );
    const k = c.functionStarts.indexOf(slot);
    if (k < 0)
      throw new NotSupportedError(
        `callx to slot ${slot}`,
        `pc ${pc}: the JIT compiles only subprogram starts`,
      );
    return k;
  }

  #raise(code: number, pc: number, arg: number): never {
    switch (code) {
      case RAISE.budget:
        throw new BudgetExceededError(this.#run.budget, pc);
      case RAISE.callDepth:
        throw new RuntimeFault(`call stack exhausted: more than ${MAX_CALL_FRAMES} frames`, pc);
      case RAISE.kfunc:
        throw new NotSupportedError(`kfunc call (BTF id ${arg})`, `at pc ${pc}`);
      case RAISE.noHelper:
        throw new NotSupportedError(
          `helper #${arg}`,
          `called at pc ${pc}; the engine's helper table has no entry`,
        );
      case RAISE.noPacket:
        throw new RuntimeFault(
          'legacy packet load (LD_ABS/LD_IND) needs a packet: run(args, { packet })',
          pc,
        );
      case RAISE.packetExit:
        throw new RunExit(0n);
      default:
        throw new RuntimeFault(`internal error: raise code ${code}`, pc);
    }
  }

  /** HelperEnv.callFunction: `fn` is a function address (FUNC_BASE + 8 * slot, high half FUNC_HI). */
  #callback(fn: bigint, args: readonly bigint[], pc: number): bigint {
    const [lo, hi] = split64(fn);
    const slot = (lo - FUNC_BASE) / 8;
    if (hi !== FUNC_HI >>> 0 || lo < FUNC_BASE || !Number.isInteger(slot))
      throw new RuntimeFault(`callback 0x${fn.toString(16)} is not a function address`, pc);
    if (slot >= this.#compiled.slots)
      throw new RuntimeFault(`callback to slot ${slot}, outside the program`, pc);
    return this.callFunction(slot, args).r0;
  }
}
