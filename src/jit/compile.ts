// The compiler: a BPF program to one Wasm module. Each subprogram (cfg/) becomes a Wasm function
// of FN_PARAMS -> FN_RESULTS with r0-r10 as i64 locals; control flow is structured by
// structure.ts; instructions are lowered with RFC 9669 semantics where Wasm differs (division
// by zero and INT_MIN / -1 do not trap, 32-bit results zero-extend, byte swaps, sign extension).
// Every load and store is checked against the regions (lower-memory.ts) unless the verifier
// proved it (CompileOptions.proved). Steps are counted per block exactly as the interpreter
// counts them, and the budget is checked where the interpreter checks it (taken jumps, local
// calls, exits), so runs end with the same steps or the same error; a loop-free program also
// gets a copy without the budget compares, for runs whose budget covers every slot.

import { type Block, buildCfg, type Cfg, type Layout, layout, reversePostorder } from '../cfg/index.js';
import { assertNever, NotSupportedError } from '../errors.js';
import { type Instruction, type Kind, op } from '../isa/index.js';
import type { HelperTable, LddwResolver } from '../runtime/index.js';
import { FRAME_BYTES, FRAME_STRIDE, lddwValue, MAX_CALL_FRAMES } from '../runtime/index.js';
import { dispatch } from './dispatch.js';
import { emitAlu, emitEndian, emitJumpCondition } from './lower-alu.js';
import { emitAtomic, emitLoad, emitStore, type MemoryContext, type SiteCache } from './lower-memory.js';
import {
  EXPORT,
  FN_PARAMS,
  FN_RESULTS,
  GLOBALS,
  type GlobalName,
  IMPORTS,
  type ImportName,
  RAISE,
} from './module-abi.js';
import { NativeHelpers } from './native-helpers.js';
import { emitRegionSearch } from './region-search.js';
import { emitSiteMiss, type SiteMiss } from './site-miss.js';
import { type BlockEmitter, irreducibleEdge, structure } from './structure.js';
import { type FunctionBuilder, I32, I64, type Local, ModuleBuilder } from './wasm/index.js';

export interface CompileOptions {
  readonly helpers?: HelperTable | undefined;
  readonly resolveLddw?: LddwResolver | undefined;
  /** The verifier's proofs for this program (EngineOptions.proved): 1 at a slot drops its check. */
  readonly proved?: Uint8Array | undefined;
  /** The program's CFG when the caller already built it (it must be `buildCfg(program)`). */
  readonly cfg?: Cfg | undefined;
}

export interface Compiled {
  readonly bytes: Uint8Array;
  readonly slots: number;
  /** Start slot of each compiled function (subprogram order = table order). */
  readonly functionStarts: readonly number[];
  /** The helper at each helper-call slot. */
  readonly helperAt: readonly ReturnType<HelperTable['get']>[];
  /** Slots that are the second half of an lddw (callx to them faults). */
  readonly lddwTails: ReadonlySet<number>;
}

/** Compiles `program`, or throws NotSupportedError / the CFG's VerifierError naming what stops it. */
export function compile(program: readonly Instruction[], options: CompileOptions = {}): Compiled {
  const l = layout(program);
  // Every lddw is resolved before anything else, reachable or not: the kernel resolves map fds
  // for the whole program before it looks at control flow (a bad fd fails the load with
  // "fd N is not pointing to valid bpf_map", 0 insns processed), and so does the interpreter.
  const lddwValues = resolveLddws(l, options.resolveLddw);
  // A verified program's CFG (the loader's, EngineOptions.cfg) is this one: nothing is unreachable.
  const cfg = options.cfg ?? buildCfg(program, { allowUnreachable: true, layout: l });
  if (cfg.slots !== l.slots)
    throw new RangeError(`compile: the CFG given has ${cfg.slots} slots, the program ${l.slots}`);
  const m = new ModuleBuilder();
  const imports = {} as Record<ImportName, number>;
  for (const [name, t] of Object.entries(IMPORTS))
    imports[name as ImportName] = m.importFunction('env', name, t.params, t.results);
  m.importMemory('env', 'memory', 1);
  const globals = {} as Record<GlobalName, number>;
  for (const name of GLOBALS) {
    globals[name] = m.global(I32, true, name === 'pktSize' ? -1 : 0);
    m.exportGlobal(name, globals[name]);
  }
  const fnType = m.type(FN_PARAMS, FN_RESULTS);
  const funcs = cfg.subprograms.map(() => m.defineFunction(FN_PARAMS, FN_RESULTS));
  const helperAt: ReturnType<HelperTable['get']>[] = [];
  const { search, find } = emitRegionSearch(m, globals, imports.slow);
  const siteMiss = emitSiteMiss(m, globals, search);
  const native = new NativeHelpers({ m, globals, find, helper: imports.helper });
  // r10 is read-only in verified code; when nothing writes it, stack accesses at constant
  // offsets from it are inside the current frame by construction and need no check.
  // Plain loops over the instructions here (not callbacks): see cfg/layout.ts.
  let r10Fixed = true;
  for (let k = 0; k < l.insns.length && r10Fixed; k++) {
    const i = l.insns[k]!;
    // Only an instruction naming r10 can write it: most need no call.
    if (i.dst === 10 || i.src === 10) r10Fixed = !writesRegister(l.kinds[k]!, i, 10);
  }
  const env: ProgramEnv = {
    m,
    l,
    cfg,
    imports,
    globals,
    fnType,
    funcs: funcs.map((f) => f.index),
    r10Fixed,
    // Proofs of another program (another slot count) prove nothing here.
    proved: options.proved?.length === l.slots ? options.proved : undefined,
    siteMiss,
    native,
    options,
    helperAt,
    lddwValues,
    sites: [],
    generations:
      cfg.subprograms.length > 1 || l.insns.length > MANY_SITES || l.kinds.some((k) => k.kind === 'callx'),
  };
  for (const [k, sub] of cfg.subprograms.entries())
    new FunctionCompiler(env, funcs[k]!.body, sub.index, true).compile();
  // A loop-free program runs each instruction at most once, so a run with a budget of at least
  // its slot count cannot exceed it: runCtx then calls a copy without the budget checks.
  let unchecked: number | undefined;
  if (l.slots <= MAX_UNCHECKED_COPY && loopFree(l)) {
    const copy = m.defineFunction(FN_PARAMS, FN_RESULTS);
    new FunctionCompiler(env, copy.body, 0, false).compile();
    unchecked = copy.index;
  }
  for (const [k, f] of funcs.entries()) m.exportFunction(EXPORT.fn(k), f.index);
  m.table(funcs.map((f) => f.index));
  emitRunCtx(m, env, funcs[0]!.index, unchecked);
  emitInvalidate(m, env);
  // The second slot of each lddw (lddwValues has every lddw's first slot).
  const lddwTails = new Set<number>();
  for (const pc of lddwValues.keys()) lddwTails.add(pc + 1);
  return {
    bytes: m.encode(),
    slots: l.slots,
    functionStarts: cfg.subprograms.map((s) => s.start),
    helperAt,
    lddwTails,
  };
}

interface ProgramEnv {
  readonly m: ModuleBuilder;
  readonly l: Layout;
  readonly cfg: Cfg;
  readonly imports: Record<ImportName, number>;
  readonly globals: Record<GlobalName, number>;
  readonly fnType: number;
  readonly funcs: readonly number[];
  readonly r10Fixed: boolean;
  readonly proved: Uint8Array | undefined;
  /** What access sites call when their inline check misses (site-miss.ts). */
  readonly siteMiss: SiteMiss;
  /** Helpers emitted in Wasm, called instead of the `helper` import (native-helpers.ts). */
  readonly native: NativeHelpers;
  readonly options: CompileOptions;
  readonly helperAt: ReturnType<HelperTable['get']>[];
  /** The value of the lddw at each slot, as i64. */
  readonly lddwValues: ReadonlyMap<number, bigint>;
  /** Every access site's cache, for `invalidate`. */
  readonly sites: SiteCache[];
  /**
   * Whether sites also compare a generation: where the Wasm itself changes regions (local calls
   * end frames), or where resetting every site would cost more than a compare per access.
   */
  readonly generations: boolean;
}

/** The value of every lddw of the program by slot (throws what lddwValue throws, first slot first). */
function resolveLddws(l: Layout, resolve: LddwResolver | undefined): Map<number, bigint> {
  const values = new Map<number, bigint>();
  for (let k = 0; k < l.kinds.length; k++) {
    const kind = l.kinds[k]!;
    if (kind.kind !== 'lddw') continue;
    const pc = l.slotOf[k]!;
    const [lo, hi] = lddwValue(l.insns[k]!, kind.pseudo, pc, l.targets[k] ?? 0, resolve);
    values.set(pc, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
  }
  return values;
}

/** True if the instruction writes register `r` (an ALU result, a load, an lddw, a fetching atomic). */
function writesRegister(kind: Kind, i: Instruction, r: number): boolean {
  switch (kind.kind) {
    case 'alu':
    case 'endian':
    case 'lddw':
    case 'load':
      return i.dst === r;
    case 'atomic':
      return (kind.fetch && i.src === r) || (kind.op === 'cmpxchg' && r === 0);
    case 'jmp':
    case 'ja':
    case 'call':
    case 'callx':
    case 'exit':
    case 'ldpkt':
    case 'store':
      return false;
    default:
      return assertNever(kind, 'instruction kind');
  }
}

/** Above this many slots a loop-free program keeps one copy (compile time over the budget compares). */
const MAX_UNCHECKED_COPY = 1024;

/**
 * True if every jump goes forward and nothing calls (no local call, callx, or function address for
 * a callback): no instruction can run twice in one run of the main function.
 */
function loopFree(l: Layout): boolean {
  return l.kinds.every((kind, k) => {
    switch (kind.kind) {
      case 'ja':
      case 'jmp':
        return (l.targets[k] ?? -1) > l.slotOf[k]!;
      case 'call':
        return kind.target === 'helper';
      case 'callx':
        return false;
      case 'lddw':
        return kind.pseudo !== op.BPF_PSEUDO_FUNC;
      case 'alu':
      case 'endian':
      case 'load':
      case 'store':
      case 'atomic':
      case 'ldpkt':
      case 'exit':
        return true;
      default:
        return assertNever(kind, 'instruction kind');
    }
  });
}

/** Above this many instructions, sites compare a generation instead of being reset one by one. */
const MANY_SITES = 1024;

/** invalidate(): resets every access site's cache and bumps the generation (regions changed). */
function emitInvalidate(m: ModuleBuilder, env: ProgramEnv): void {
  const { index, body: f } = m.defineFunction([], []);
  if (!env.generations) for (const site of env.sites) f.i64(0).globalSet(site.room);
  f.globalGet(env.globals.gen).i32(1).op('i32.add').globalSet(env.globals.gen);
  m.exportFunction(EXPORT.invalidate, index);
}

/** runCtx(ctx) and runBatch(ctxs, count, results): a whole run's set-up without leaving Wasm. */
function emitRunCtx(m: ModuleBuilder, env: ProgramEnv, entry: number, unchecked: number | undefined): void {
  const g = env.globals;
  const reset = (f: FunctionBuilder) => {
    // The engine bumps `gen` before a run when the space's regions changed (AddressSpace.epoch).
    for (const name of ['steps', 'depth', 'zeroed'] as const) f.i32(0).globalSet(g[name]);
  };
  const run = m.defineFunction([I32], [I32]);
  const f = run.body;
  reset(f);
  const call = (fn: number) => {
    f.i64(0).get(f.params[0]!).op('i64.extend_i32_u');
    for (let k = 2; k < 10; k++) f.i64(0);
    f.call(fn);
    for (let k = 0; k < 5; k++) f.op('drop');
    f.op('i32.wrap_i64');
  };
  if (unchecked !== undefined) {
    f.globalGet(g.budget).i32(env.l.slots).op('i32.ge_u');
    const roomy = f.if();
    call(unchecked);
    f.op('return');
    f.end(roomy);
  }
  call(entry);
  m.exportFunction(EXPORT.runCtx, run.index);

  const batch = m.defineFunction([I32, I32, I32], []);
  const b = batch.body;
  const [ctxs, count, results] = b.params as [Local, Local, Local];
  const k = b.local(I32);
  const done = b.block();
  const loop = b.loop();
  b.get(k).get(count).op('i32.ge_u').brIf(done);
  b.get(k).globalSet(g.iter);
  b.get(results).get(k).i32(2).op('i32.shl').op('i32.add');
  b.get(ctxs).get(k).i32(2).op('i32.shl').op('i32.add').mem('i32.load');
  b.call(run.index);
  b.mem('i32.store');
  b.get(k).i32(1).op('i32.add').set(k);
  b.br(loop);
  b.end(loop).end(done);
  m.exportFunction(EXPORT.runBatch, batch.index);

  const repeat = m.defineFunction([I32, I32], [I32]);
  const r = repeat.body;
  const [ctx, times] = r.params as [Local, Local];
  const j = r.local(I32);
  const r0 = r.local(I32);
  const over = r.block();
  const again = r.loop();
  r.get(j).get(times).op('i32.ge_u').brIf(over);
  r.get(j).globalSet(g.iter);
  r.get(ctx).call(run.index).set(r0);
  r.get(j).i32(1).op('i32.add').set(j);
  r.br(again);
  r.end(again).end(over);
  r.get(r0);
  m.exportFunction(EXPORT.runRepeat, repeat.index);
}

class FunctionCompiler implements MemoryContext {
  readonly f: FunctionBuilder;
  readonly env: ProgramEnv;
  readonly sub: number;
  /** r0 - r10. */
  readonly R: Local[];
  readonly steps: Local;
  readonly budget: Local;
  /** Start of the current frame, as i32 and as i64. */
  readonly frame32: Local;
  readonly frame64: Local;
  /** Instructions of the current block not yet added to `steps`. */
  #pending = 0;
  #pc = 0;

  /** Whether taken jumps, calls and exits compare steps with the budget (see loopFree). */
  readonly #budgetChecks: boolean;

  constructor(env: ProgramEnv, f: FunctionBuilder, sub: number, budgetChecks: boolean) {
    this.#budgetChecks = budgetChecks;
    this.env = env;
    this.f = f;
    this.sub = sub;
    this.R = [...f.params.slice(0, 10), f.local(I64)];
    this.steps = f.local(I32);
    this.budget = f.local(I32);
    this.frame32 = f.local(I32);
    this.frame64 = f.local(I64);
  }

  get pc(): number {
    return this.#pc;
  }
  get r10Fixed(): boolean {
    return this.env.r10Fixed;
  }
  get proved(): boolean {
    return this.env.proved?.[this.#pc] === 1;
  }
  get siteMiss(): SiteMiss {
    return this.env.siteMiss;
  }
  global(name: GlobalName): number {
    return this.env.globals[name];
  }
  importIndex(name: ImportName): number {
    return this.env.imports[name];
  }

  compile(): void {
    const { f, env } = this;
    const g = env.globals;
    f.globalGet(g.steps).set(this.steps);
    f.globalGet(g.budget).set(this.budget);
    f.globalGet(g.stack).globalGet(g.depth).i32(FRAME_STRIDE).op('i32.mul').op('i32.add').tee(this.frame32);
    f.op('i64.extend_i32_u').tee(this.frame64).i64(FRAME_BYTES).op('i64.add').set(this.R[10]!);
    const sub = env.cfg.subprograms[this.sub]!;
    const emit: BlockEmitter = {
      body: (block) => this.#body(block),
      terminator: (block, branch) => this.#terminator(block, branch),
    };
    // Nested blocks and loops where the flow is reducible, else a dispatcher loop (dispatch.ts).
    const rpo = reversePostorder(env.cfg.blocks, sub.entry);
    if (irreducibleEdge(env.cfg, sub, rpo) === undefined) structure(env.cfg, sub, f, emit, rpo);
    else dispatch(env.cfg, sub, f, emit);
    f.op('unreachable');
  }

  /** Adds the pending instructions (through `pc` inclusive) to the step counter. */
  flush(): void {
    if (this.#pending === 0) return;
    this.f.get(this.steps).i32(this.#pending).op('i32.add').set(this.steps);
    this.#pending = 0;
  }

  /** Throws BudgetExceededError at `pc` if steps > budget (after flush()). */
  #budgetCheck(): void {
    if (!this.#budgetChecks) return;
    const f = this.f;
    f.get(this.steps).get(this.budget).op('i32.gt_u');
    const l = f.if();
    this.raise(RAISE.budget, 0);
    f.end(l);
  }

  /** Calls `raise(code, pc, arg)` after saving the step count (pending ones included); never returns. */
  raise(code: number, arg: number): void {
    const f = this.f;
    f.get(this.steps).i32(this.#pending).op('i32.add').globalSet(this.global('steps'));
    f.i32(code).i32(this.#pc).i32(arg).call(this.env.imports.raise).op('unreachable');
  }

  #body(block: Block): void {
    this.#pending = 0;
    for (let pc = block.start; pc <= block.last; pc++) {
      if (this.env.l.insnAt[pc] === -1) continue;
      this.#pc = pc;
      this.#pending++;
      if (pc === block.last) break; // the terminator is emitted by #terminator
      const k = this.env.l.insnAt[pc]!;
      this.#instruction(this.env.l.insns[k]!, this.env.l.kinds[k]!);
    }
  }

  #terminator(block: Block, branch: (to: number) => void): void {
    const f = this.f;
    const pc = block.last;
    this.#pc = pc;
    const k = this.env.l.insnAt[pc]!;
    const i = this.env.l.insns[k]!;
    const kind = this.env.l.kinds[k]!;
    const next = this.env.cfg.blockOf[block.end];
    switch (kind.kind) {
      case 'exit':
        this.flush();
        this.#budgetCheck();
        f.get(this.steps).globalSet(this.global('steps'));
        for (let r = 0; r < 6; r++) f.get(this.R[r]!);
        f.op('return');
        return;
      case 'ja': {
        this.flush();
        this.#budgetCheck();
        branch(this.env.cfg.blockOf[pc + (kind.long ? i.imm : i.off) + 1]!);
        return;
      }
      case 'jmp': {
        this.flush();
        const target = this.env.cfg.blockOf[pc + i.off + 1]!;
        emitJumpCondition(this, i, kind);
        const taken = f.if();
        this.#budgetCheck();
        branch(target);
        f.else(taken);
        branch(next!);
        f.end(taken);
        return;
      }
      default:
        // The block ends because the next one is a jump target: fall into it.
        this.#instruction(i, kind);
        this.flush();
        branch(next!);
    }
  }

  #instruction(i: Instruction, kind: Kind): void {
    const f = this.f;
    const R = this.R;
    switch (kind.kind) {
      case 'alu':
        emitAlu(this, i, kind);
        return;
      case 'endian':
        emitEndian(this, i, kind);
        return;
      case 'lddw':
        f.i64(this.env.lddwValues.get(this.#pc)!).set(R[i.dst]!);
        return;
      case 'load':
        emitLoad(this, i, kind);
        return;
      case 'store':
        emitStore(this, i, kind);
        return;
      case 'atomic':
        emitAtomic(this, i, kind);
        return;
      case 'ldpkt':
        this.#ldpkt(i, kind);
        return;
      case 'call':
        if (kind.target === 'helper') this.#helper(i);
        else if (kind.target === 'local') {
          this.flush();
          this.#localCall(() => f.call(this.env.funcs[this.#subAt(this.#pc + i.imm + 1)]!));
        } else this.raise(RAISE.kfunc, i.imm);
        return;
      case 'callx':
        this.#callx(i);
        return;
      case 'jmp':
      case 'ja':
      case 'exit':
        throw new RangeError(`pc ${this.#pc}: a jump or exit inside a block`);
      default:
        assertNever(kind, 'instruction kind');
    }
  }

  #subAt(slot: number): number {
    const k = this.env.cfg.subprograms.findIndex((s) => s.start === slot);
    if (k < 0) throw new NotSupportedError('local call', `pc ${this.#pc}: slot ${slot} starts no subprogram`);
    return k;
  }

  /** Pushes r1-r5, calls the helper import, sets r0. */
  #helper(i: Instruction): void {
    const { f, R } = this;
    const fn = this.env.options.helpers?.get(i.imm);
    if (fn === undefined) {
      this.raise(RAISE.noHelper, i.imm);
      return;
    }
    this.flush();
    this.env.helperAt[this.#pc] = fn;
    f.get(this.steps).globalSet(this.global('steps'));
    f.i32(this.#pc);
    for (let r = 1; r <= 5; r++) f.get(R[r]!);
    // The access sites' caches survive the call unless a region shrank or moved in it: the
    // engine compares AddressSpace.epoch around every helper and bumps `gen` itself.
    // A proved slot's memory arguments need no readable() check in a Wasm helper (verifier/proofs.ts).
    f.call(this.env.native.nativeFor(fn, this.proved) ?? this.env.imports.helper).set(R[0]!);
  }

  /** Invalidates every access site's cache (regions may have changed). */
  bumpGeneration(): void {
    const gen = this.global('gen');
    this.f.globalGet(gen).i32(1).op('i32.add').globalSet(gen);
  }

  /** Module globals for one access site's cache (lower-memory.ts), registered for `invalidate`. */
  siteCache(): SiteCache {
    const m = this.env.m;
    const site: SiteCache = {
      start: m.global(I64, true, 0),
      room: m.global(I64, true, 0),
      gen: this.env.generations ? m.global(I32, true, -1) : undefined,
    };
    this.env.sites.push(site);
    return site;
  }

  /** A BPF-to-BPF call (steps flushed): depth and budget checks, a fresh frame, the call, the caller's frame back. */
  #localCall(call: () => void): void {
    const { f, R } = this;
    const g = this.env.globals;
    f.globalGet(g.depth)
      .i32(MAX_CALL_FRAMES - 1)
      .op('i32.eq');
    const deep = f.if();
    this.raise(RAISE.callDepth, 0);
    f.end(deep);
    this.#budgetCheck();
    f.get(this.steps).globalSet(g.steps);
    f.globalGet(g.depth).i32(1).op('i32.add').globalSet(g.depth);
    // A frame's first use in this run is zeroed: it must not show an earlier run's bytes.
    f.globalGet(g.depth).globalGet(g.zeroed).op('i32.gt_u');
    const fresh = f.if();
    f.get(this.frame32).i32(FRAME_STRIDE).op('i32.add').i32(0).i32(FRAME_BYTES).memoryFill();
    f.globalGet(g.depth).globalSet(g.zeroed);
    f.end(fresh);
    for (let r = 0; r < 10; r++) f.get(R[r]!);
    call();
    for (let r = 5; r >= 0; r--) f.set(R[r]!);
    f.globalGet(g.depth).i32(1).op('i32.sub').globalSet(g.depth);
    f.globalGet(g.steps).set(this.steps);
    // The callee's frames are dead: no access site may keep one cached.
    this.bumpGeneration();
  }

  #callx(i: Instruction): void {
    const { f, R } = this;
    this.flush();
    f.get(this.steps).globalSet(this.global('steps'));
    const target = f.temp(I32);
    f.get(R[i.dst]!).op('i32.wrap_i64');
    f.get(R[i.dst]!).i64(32).op('i64.shr_u').op('i32.wrap_i64');
    f.i32(this.#pc).call(this.env.imports.callxTarget).tee(target);
    f.i32(-1).op('i32.eq');
    const helper = f.if();
    f.get(R[i.dst]!).op('i32.wrap_i64').i32(this.#pc);
    for (let r = 1; r <= 5; r++) f.get(R[r]!);
    f.call(this.env.imports.helperById).set(R[0]!);
    f.else(helper);
    this.#localCall(() => f.get(target).callIndirect(this.env.fnType));
    f.end(helper);
    f.release(target);
  }

  /** LD_ABS / LD_IND (§5.4 legacy): r0 = big-endian packet[imm (+ src)]; out of bounds ends the run with 0. */
  #ldpkt(i: Instruction, kind: Extract<Kind, { kind: 'ldpkt' }>): void {
    const { f, R } = this;
    const g = this.env.globals;
    const n = kind.bytes;
    f.globalGet(g.pktSize).i32(0).op('i32.lt_s');
    const none = f.if();
    this.raise(RAISE.noPacket, 0);
    f.end(none);
    const x = f.temp(I32);
    // The kernel adds in 64 bits and passes an int offset (net/core/filter.c bpf_skb_load_helper_*).
    if (kind.indirect) f.get(R[i.src]!).op('i32.wrap_i64').i32(i.imm).op('i32.add');
    else f.i32(i.imm);
    f.tee(x)
      .op('i64.extend_i32_s')
      .i64(n)
      .op('i64.add')
      .globalGet(g.pktSize)
      .op('i64.extend_i32_u')
      .op('i64.gt_s');
    f.get(x).i32(0).op('i32.lt_s').op('i32.or');
    const out = f.if();
    this.raise(RAISE.packetExit, 0);
    f.end(out);
    f.globalGet(g.pktStart).get(x).op('i32.add');
    if (n === 1) f.mem('i32.load8_u');
    else if (n === 2) {
      f.mem('i32.load16_u')
        .tee(x)
        .i32(8)
        .op('i32.shr_u')
        .get(x)
        .i32(8)
        .op('i32.shl')
        .op('i32.or')
        .i32(0xffff)
        .op('i32.and');
    } else {
      f.mem('i32.load').tee(x);
      bswap32(f, x);
    }
    f.op('i64.extend_i32_u').set(R[0]!);
    f.release(x);
  }
}

/** Replaces the i32 on the stack (also in `x`) by its bytes reversed. */
export function bswap32(f: FunctionBuilder, x: Local): void {
  f.op('drop');
  f.get(x).i32(8).op('i32.rotl').i32(0x00ff00ff).op('i32.and');
  f.get(x)
    .i32(8)
    .op('i32.rotr')
    .i32(0xff00ff00 | 0)
    .op('i32.and');
  f.op('i32.or');
}
