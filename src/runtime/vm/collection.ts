// loadCollection for the VM backend: a CollectionSpec becomes maps in one address space and
// programs on an injected engine (runtime/ must not import interp/ or jit/; src/index.ts wires
// the interpreter in as `load`). Verification is an injected stage too (`verify`, verifier/'s
// passes, wired in by `load`) that runs before any engine is made. Symbolic map references
// resolve to map handles.

import type { Btf } from '../../btf/types.js';
import type { Cfg } from '../../cfg/index.js';
import { ClosedError, LoadError, NotSupportedError, RuntimeFault } from '../../errors.js';
import { classify, type Instruction, op as O, slots } from '../../isa/index.js';
import {
  applySpecOptions,
  type CollectionSpec,
  type MapSpec,
  missing,
  type ProgramSpec,
  replacementMismatch,
  type SpecLoadOptions,
  unknownTypeFeature,
} from '../../program/index.js';
import type { Collection } from '../backend.js';
import { hostClock } from '../clock.js';
import { ConntrackTable } from '../conntrack.js';
import type { SkbContext } from '../context/skb.js';
import { type Interfaces, LOOPBACK_ONLY, type XdpContext } from '../context/xdp.js';
import type { Engine, EngineOptions } from '../engine.js';
import type { Clock, FibTable, HelperTable, RedirectState } from '../helper.js';
import { RUNTIME_HELPERS } from '../helpers/index.js';
import { ArrayMap } from '../maps/array.js';
import { type BpfMap, u32Bytes } from '../maps/base.js';
import { MemoryBudget } from '../maps/budget.js';
import { createMap } from '../maps/create.js';
import { PerfEventArrayMap, type PerfRecord } from '../maps/perf-event-array.js';
import { MapRegistry } from '../maps/registry.js';
import { RingBufMap } from '../maps/ringbuf.js';
import type { MapReferences } from '../maps/types.js';
import { AddressSpace, type Region } from '../memory.js';
import type { ContextBatch, RedirectOutcome } from './batch.js';
import { relocateForVm } from './co-re.js';
import { bindHelpers, type RunStart, seededRandom, type VmEnv } from './env.js';
import { withSourceLine } from './fault-source.js';
import { bindKfuncs, kfuncHelpers } from './kfuncs.js';
import { VmMap } from './map.js';
import { type ProgramHost, VmProgram } from './program.js';

/** Makes the engine that runs one program (the Interpreter, the JIT, ...). */
export type EngineFactory = (program: readonly Instruction[], options: EngineOptions) => Engine;

/**
 * The verify stage (verifier/'s `verify`, wired in by src/index.ts's load): refuses a program by
 * throwing. `helpers` holds the ids of the helpers this runtime implements; `maps` are the
 * collection's map specs (the maps the program's lddw instructions name). It may return what it
 * learned (VerifiedFacts): the program's CFG, which the engine reuses (EngineOptions.cfg) instead
 * of building it again, and what it proved of each load and store (EngineOptions.proved).
 */
export type VerifyStage = (
  program: ProgramSpec,
  helpers: { has(id: number): boolean },
  maps: readonly MapSpec[],
  /** The object's BTF (its FUNC records say which functions are global). */
  btf?: Btf,
) => VerifiedFacts | undefined;

/** What a verify stage hands the engine of a program it accepted. */
export interface VerifiedFacts {
  readonly cfg?: Cfg | undefined;
  readonly proved?: Uint8Array | undefined;
}

/**
 * Options of the VM's loadCollection: those both backends share (SpecLoadOptions: `programs`,
 * `programOverrides`, `mapOverrides`, `variables`) and the VM's own.
 */
export interface LoadCollectionOptions extends SpecLoadOptions {
  readonly engine: EngineFactory;
  /**
   * Runs on every program after CO-RE relocation, before any engine is made. Absent: programs
   * are not verified, and only the runtime's own checks (memory, helpers present) stand.
   */
  readonly verify?: VerifyStage;
  /** Virtual CPUs (per-CPU map values); default 2. */
  readonly cpus?: number;
  /** The CPU runs happen on (bpf_get_smp_processor_id, per-CPU values); default 0. */
  readonly cpu?: number;
  /** Instruction budget per program run (each tail call starts a new one). */
  readonly budget?: number;
  /** The clocks of bpf_ktime_get_*_ns: default the host's (hostClock); virtualClock() for reproducible runs. */
  readonly clock?: Clock;
  /** Seed of bpf_get_prandom_u32 (default: a fixed seed, so runs repeat). */
  readonly seed?: number;
  /** The source of bpf_get_prandom_u32 itself (overrides `seed`). */
  readonly random?: () => number;
  /**
   * The secret of the SYN-cookie helpers (64 bytes: two 16-byte siphash keys for IPv4, two for
   * IPv6). The kernel's is random per boot and unreadable; default: derived from `seed`.
   */
  readonly syncookieSecret?: Uint8Array;
  /** The conntrack table of the conntrack kfuncs; default an empty one (VmCollection.conntrack). */
  readonly conntrack?: ConntrackTable;
  /** Interfaces that exist (ifindex -> rx queues) for ctx_in ifindex checks; default only lo (1). */
  readonly interfaces?: Interfaces;
  /** The address space to load into; a fresh one by default. */
  readonly memory?: AddressSpace;
  /** The routing table bpf_fib_lookup consults (default: none, forwarding disabled). */
  readonly fib?: FibTable;
  /**
   * The BTF CO-RE relocations are resolved against: `parseBtf(bytes)` of a vmlinux BTF file, or
   * `kernelBtf()` from tsbpf/kernel for this machine's. Default: the object's own BTF (the layout
   * it was compiled for).
   */
  readonly targetBtf?: Btf;
  /**
   * The devices a devmap and the sockets an xskmap accept (EINVAL / EBADF for others), as the
   * kernel resolves ifindexes and socket fds at update time; default: any.
   */
  readonly references?: Pick<MapReferences, 'device' | 'socket'>;
  /**
   * Bytes the collection's maps may take, charged as the kernel would allocate them (every value
   * preallocated; see maps/budget.ts): a map past it fails BPF_MAP_CREATE with ENOMEM, as a load
   * under a memcg or memlock limit does. Default: no limit but the 4 GiB address space (large
   * arrays are committed lazily, so they cost what is touched).
   */
  readonly memoryLimit?: number;
  /**
   * Existing maps used instead of creating those names (libbpf's bpf_map__reuse_fd): maps of
   * another VM collection loaded into the same `memory`; they must match type, sizes, max
   * entries and flags. The collection does not close them.
   */
  readonly mapReplacements?: Readonly<Record<string, VmMap>>;
  /**
   * The embedder's helpers by id (the kernel's bpf_func_id numbers, or ids of its own, as uBPF
   * lets a host register functions): they are added to the runtime's, or replace (stub) the
   * runtime's helper of the same id. The verifier checks calls against the prototypes it knows:
   * a helper of a new id needs `verify: false`.
   */
  readonly helpers?: HelperTable;
}

const SYNCOOKIE_SECRET_SIZE = 64;

function syncookieSecret(options: LoadCollectionOptions): Uint8Array {
  const given = options.syncookieSecret;
  if (given !== undefined) {
    if (given.length !== SYNCOOKIE_SECRET_SIZE)
      throw new LoadError(
        'LOAD_ERROR',
        `syncookieSecret: ${given.length} bytes, want ${SYNCOOKIE_SECRET_SIZE}`,
      );
    return given.slice();
  }
  const next = seededRandom(((options.seed ?? 1) ^ 0x5ec4e7) >>> 0);
  const out = new Uint8Array(SYNCOOKIE_SECRET_SIZE);
  new Uint32Array(out.buffer).forEach((_, k, a) => {
    a[k] = next();
  });
  return out;
}

const { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } = O;

export class VmCollection implements Collection, ProgramHost {
  readonly spec: CollectionSpec;
  readonly space: AddressSpace;
  readonly registry: MapRegistry;
  readonly interfaces: Interfaces;
  /** The connections bpf_xdp_ct_lookup / bpf_skb_ct_lookup find (load option `conntrack`). */
  readonly conntrack: ConntrackTable;
  /** Lines bpf_trace_printk wrote, oldest first (clear it at will). */
  readonly trace: string[] = [];
  readonly #programs = new Map<string, VmProgram>();
  readonly #byId = new Map<number, VmProgram>();
  readonly #maps = new Map<string, VmMap>();
  readonly #env: VmEnv;
  readonly #cpu: number;
  /** The run in progress, until its first helper call resets the helpers' per-run state. */
  readonly #run: RunStart = { pending: false, start: () => this.#start() };
  #closed = false;
  /** @internal ProgramHost: the parked context of the last completed test run. */
  spare: XdpContext | SkbContext | undefined = undefined;

  /** @internal use loadCollection(). */
  constructor(spec: CollectionSpec, options: LoadCollectionOptions) {
    this.spec = spec;
    this.space = options.memory ?? new AddressSpace();
    this.registry = new MapRegistry(this.space);
    this.interfaces = options.interfaces ?? LOOPBACK_ONLY;
    this.conntrack = options.conntrack ?? new ConntrackTable();
    this.#cpu = options.cpu ?? 0;
    this.#env = {
      memory: this.space,
      pc: 0,
      exit: false,
      maps: this.registry,
      ctx: undefined as never, // set by execute() before every run
      cpu: this.#cpu,
      tailCall: { count: 0, target: undefined },
      redirect: { ifindex: 0, map: undefined, flags: 0n, nexthop: undefined },
      trace: (line) => this.trace.push(line),
      clock: options.clock ?? hostClock(),
      random: options.random ?? seededRandom(options.seed ?? 1),
      spinLock: { held: undefined },
      fib: options.fib,
      interfaces: this.interfaces,
      syncookieSecret: syncookieSecret(options),
      conntrack: this.conntrack,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get programs(): ReadonlyMap<string, VmProgram> {
    this.#check();
    return this.#programs;
  }

  get maps(): ReadonlyMap<string, VmMap> {
    this.#check();
    return this.#maps;
  }

  /** The program named `name`, or a LoadError listing the names. */
  program(name: string): VmProgram {
    const p = this.programs.get(name);
    if (p === undefined)
      throw new LoadError(
        'LOAD_ERROR',
        `no program '${name}' (have ${[...this.#programs.keys()].join(', ')})`,
      );
    return p;
  }

  map(name: string): VmMap {
    const m = this.maps.get(name);
    if (m === undefined)
      throw new LoadError('LOAD_ERROR', `no map '${name}' (have ${[...this.#maps.keys()].join(', ')})`);
    return m;
  }

  /**
   * Where the last bpf_redirect / _map / _neigh / _peer pointed (ifindex or map key, map id,
   * flags, bpf_redirect_neigh's next hop).
   */
  get redirect(): {
    readonly ifindex: number;
    readonly map: number | undefined;
    readonly flags: bigint;
    readonly nexthop?: Uint8Array | undefined;
  } {
    // A run that called no helper set no redirect: the state is that of an earlier run.
    return this.#run.pending
      ? { ifindex: 0, map: undefined, flags: 0n, nexthop: undefined }
      : { ...this.#env.redirect };
  }

  /**
   * Opens a perf buffer on every CPU slot of every PERF_EVENT_ARRAY map, as perf_buffer__new does
   * per map; until then bpf_perf_event_output finds empty slots (-ENOENT), as in the kernel.
   */
  openPerfBuffers(options: { readonly pages?: number } = {}): void {
    for (const m of this.maps.values())
      if (m.map instanceof PerfEventArrayMap && m.map.events.length === 0) m.map.openAll(options);
  }

  /** Takes the records of every perf event array's buffers, by map name (maps with none left out). */
  consumePerf(): Map<string, PerfRecord[]> {
    const out = new Map<string, PerfRecord[]>();
    for (const [name, m] of this.maps) {
      if (!(m.map instanceof PerfEventArrayMap)) continue;
      const records = m.map.consume();
      if (records.length > 0) out.set(name, records);
    }
    return out;
  }

  /** Takes the committed records of every ring buffer (ring_buffer__consume), by map name, empty ones included. */
  consumeRingBuf(): Map<string, Uint8Array[]> {
    const out = new Map<string, Uint8Array[]>();
    for (const [name, m] of this.maps) if (m.map instanceof RingBufMap) out.set(name, m.map.consume());
    return out;
  }

  /**
   * @internal ProgramHost: one run with tail calls on `cpu`, through Engine.runContext (r1 the
   * context's address, numbers only); `fresh` clears each engine's stack first. The redirect
   * outcome is left as the run set it.
   */
  execute(program: VmProgram, ctx: XdpContext | SkbContext, cpu: number = this.#cpu, fresh = false): number {
    if (fresh) program.engine.clearStack();
    return this.#once(program, ctx, cpu, fresh);
  }

  /**
   * execute's run. runOn calls it directly: V8 inlines a call chain only up to a budget of
   * bytecode, and what did not fit (a few bytes of runOn's path more) cost 3-5 ns per run.
   */
  #once(program: VmProgram, ctx: XdpContext | SkbContext, cpu: number, fresh: boolean): number {
    const packet = this.#begin(ctx, cpu);
    let r0: number;
    try {
      r0 = program.engine.runContext(ctx.struct.start, packet);
    } catch (e) {
      throw withSourceLine(e, program.spec);
    }
    // Most runs call no helper, so ask for no tail call and hold no lock: nothing to follow.
    if (this.#run.pending) return r0;
    const env = this.#env;
    if (env.tailCall.target === undefined && env.spinLock.held === undefined) return r0;
    return this.#follow(program, ctx, packet, r0, fresh);
  }

  /**
   * @internal ProgramHost: `count` runs of `program` on `ctx` (BPF_PROG_TEST_RUN's repeat after
   * its first run), in one call into the engine where it can (Engine.runRepeat), each run's tail
   * calls followed. Returns r0 of the last run.
   */
  repeat(program: VmProgram, ctx: XdpContext | SkbContext, count: number, cpu: number = this.#cpu): number {
    const engine = program.engine;
    if (engine.runRepeat === undefined || !program.batchable) {
      let r0 = 0;
      for (let k = 0; k < count; k++) r0 = this.execute(program, ctx, cpu);
      return r0;
    }
    let r0 = 0;
    for (let left = count; left > 0; ) {
      const packet = this.#begin(ctx, cpu);
      try {
        r0 = engine.runRepeat(ctx.struct.start, left, packet);
      } catch (e) {
        throw withSourceLine(e, program.spec);
      }
      left -= engine.repeatDone ?? left;
      r0 = this.#follow(program, ctx, packet, r0, false);
    }
    return r0;
  }

  /**
   * @internal ProgramHost: VmProgram.runBatch — `program` on contexts 0..count-1 of `batch`, in
   * one call into the engine where it can (Engine.runBatch), each run's tail calls followed and
   * its redirect outcome kept in `batch.redirects`. The helpers see the context of the run that
   * calls them: the engine calls `enter(k)` before run k's first helper call.
   */
  runBatch(program: VmProgram, batch: ContextBatch, count: number, cpu: number = this.#cpu): void {
    this.#check();
    if (count > batch.capacity) throw new RangeError(`batch of ${count} in ${batch.capacity} contexts`);
    const env = this.#env;
    const out = batch.redirects;
    const ctxs = batch.contexts;
    const view = this.space.view;
    // Only outcomes a run kept can be set: a batch of runs that call no helper clears nothing.
    for (let k = 0; k < batch.touched; k++) {
      const r = out[k]!;
      r.ifindex = 0;
      r.map = undefined;
      r.flags = 0n;
    }
    batch.touched = 0;
    const engine = program.engine;
    if (engine.runBatch === undefined || !program.batchable) {
      for (let k = 0; k < count; k++) {
        view.setUint32(batch.resultAt(k), this.runOn(program, ctxs[k]!, cpu), true);
        this.#keepRedirect(out[k]!);
      }
      batch.touched = count;
      return;
    }
    for (let start = 0; start < count; ) {
      this.#begin(ctxs[start]!, cpu);
      let current = start;
      const enter = (k: number) => {
        const i = start + k;
        if (i === current) return;
        this.#keepRedirect(out[current]!);
        batch.touched = current + 1;
        this.#begin(ctxs[i]!, cpu);
        current = i;
      };
      let done: number;
      try {
        done = engine.runBatch(batch.addressAt(start), count - start, batch.resultAt(start), enter);
      } catch (e) {
        throw withSourceLine(e, program.spec);
      }
      const last = start + done - 1;
      // Only a run that called a helper can have asked for a tail call, and it ended the batch.
      if (!this.#run.pending && env.tailCall.target !== undefined) {
        const r0 = this.#follow(program, ctxs[last]!, undefined, batch.result(last), false);
        this.space.view.setUint32(batch.resultAt(last), r0, true);
      }
      this.#keepRedirect(out[current]!);
      batch.touched = current + 1;
      start += done;
    }
  }

  /**
   * Starts a run on `ctx` (its per-run helper state is reset by its first helper call, #start);
   * returns the packet LD_ABS/LD_IND read.
   */
  #begin(ctx: XdpContext | SkbContext, cpu: number): Region | undefined {
    const env = this.#env;
    env.ctx = ctx;
    env.cpu = cpu;
    this.space.setRunCpu(cpu); // for compiled per-CPU lookups
    this.#run.pending = true;
    // The skb region is built out of line: with it inline, an XDP runOn measured ~5 ns slower.
    return ctx.kind === 'xdp_md' ? undefined : skbPacket(ctx);
  }

  /** The first helper call of a run: no tail calls yet, no lock held, no redirect. */
  #start(): void {
    const env = this.#env;
    this.#run.pending = false;
    env.tailCall.count = 0;
    env.tailCall.target = undefined;
    env.spinLock.held = undefined;
    clearRedirect(env.redirect);
  }

  /** The redirect outcome of the run that just ended, kept for the data path. */
  #keepRedirect(to: RedirectOutcome): void {
    const from = this.#env.redirect;
    const none = this.#run.pending;
    to.ifindex = none ? 0 : from.ifindex;
    to.map = none ? undefined : from.map;
    to.flags = none ? 0n : from.flags;
  }

  /** After `program`'s run ended with r0: the lock check, then its tail calls followed. */
  #follow(
    program: VmProgram,
    ctx: XdpContext | SkbContext,
    packet: Region | undefined,
    r0: number,
    fresh: boolean,
  ): number {
    const env = this.#env;
    if (this.#run.pending) return r0; // no helper call: no tail call, no lock
    let current = program;
    for (;;) {
      // The verifier refuses a program that can exit holding a lock ("bpf_spin_unlock is missing").
      if (env.spinLock.held !== undefined) {
        throw new RuntimeFault(`program '${current.name}' exited holding a bpf_spin_lock`, -1);
      }
      const target = env.tailCall.target;
      if (target === undefined) return r0;
      env.tailCall.target = undefined;
      const next = this.#byId.get(target);
      if (next === undefined) throw new RuntimeFault(`bpf_tail_call: no program with id ${target}`, -1);
      current = next;
      if (fresh) current.engine.clearStack();
      try {
        r0 = current.engine.runContext(ctx.struct.start, packet);
      } catch (e) {
        throw withSourceLine(e, current.spec);
      }
    }
  }

  /** @internal ProgramHost: VmProgram.runOn, a data path's run (the redirect outcome cleared first). */
  runOn(program: VmProgram, ctx: XdpContext | SkbContext, cpu: number | undefined): number {
    this.#check();
    return this.#once(program, ctx, cpu ?? this.#cpu, false);
  }

  /** @internal */
  addMap(spec: MapSpec, map: BpfMap, owned = true): void {
    this.#maps.set(spec.name, new VmMap(spec, map, owned, this.registry.idOf(map)));
  }

  /** @internal */
  addProgram(spec: ProgramSpec, engine: (id: number) => Engine): void {
    const id = this.#byId.size + 1;
    const p = new VmProgram(spec, id, engine(id), this);
    this.#programs.set(spec.name, p);
    this.#byId.set(id, p);
  }

  /** @internal */
  hasProgramId(id: number): boolean {
    return this.#byId.has(id);
  }

  /** @internal ProgramHost: a devmap/cpumap entry's program. */
  programById(id: number): VmProgram | undefined {
    return this.#byId.get(id);
  }

  /** @internal The run start the collection's bound helpers call (bindHelpers). */
  get runStart(): RunStart {
    return this.#run;
  }

  /** @internal */
  get env(): VmEnv {
    return this.#env;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // The space may be the caller's (options.memory): give the parked context's regions back.
    this.spare?.release();
    this.spare = undefined;
    for (const p of this.#programs.values()) p.engine.close?.();
    for (const m of this.#maps.values()) m.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('collection');
  }
}

/** A replacement map as the collection's: in its address space (and registry), of the spec's shape. */
function reusable(spec: MapSpec, given: VmMap, c: VmCollection): BpfMap {
  const map = given.map;
  const why =
    map.space !== c.space
      ? 'it lives in another address space (load with the same `memory`)'
      : replacementMismatch(spec, map);
  if (why !== undefined) throw new LoadError('LOAD_ERROR', `mapReplacements.${spec.name}: ${why}`);
  c.registry.register(map);
  return map;
}

/** The packet legacy LD_ABS/LD_IND read: skb->data..+len (socket filters: from the network header). */
function skbPacket(ctx: SkbContext): Region {
  return {
    name: 'skb data',
    kind: 'packet',
    start: ctx.data,
    size: ctx.len,
    end: ctx.data + ctx.len,
    writable: false,
  };
}

function clearRedirect(r: RedirectState): void {
  r.ifindex = 0;
  r.map = undefined;
  r.flags = 0n;
  r.nexthop = undefined;
}

/** The map references of a program's lddw instructions, by slot. */
function lddwReferences(p: ProgramSpec): Map<number, Instruction> {
  const out = new Map<number, Instruction>();
  let slot = 0;
  for (const i of p.instructions) {
    if (classify(i).kind === 'lddw' && i.src !== 0) out.set(slot, i);
    slot += slots(i);
  }
  return out;
}

function resolver(p: ProgramSpec, c: VmCollection, byName: Map<string, BpfMap>, ordered: readonly BpfMap[]) {
  const refs = lddwReferences(p);
  return (pseudo: number, imm: number, hi: number, pc: number): bigint => {
    const insn = refs.get(pc);
    let map: BpfMap | undefined;
    if (pseudo === BPF_PSEUDO_MAP_IDX || pseudo === BPF_PSEUDO_MAP_IDX_VALUE) map = ordered[imm];
    else if (insn?.reference !== undefined) map = byName.get(insn.reference);
    const where = `program '${p.name}' insn ${pc}`;
    if (map === undefined) {
      throw new LoadError(
        'LOAD_ERROR',
        `${where}: lddw (src ${pseudo}) names no map of the collection (${insn?.reference ?? imm})`,
      );
    }
    if (pseudo === BPF_PSEUDO_MAP_FD || pseudo === BPF_PSEUDO_MAP_IDX)
      return BigInt(c.registry.handleOf(map));
    if (pseudo === BPF_PSEUDO_MAP_VALUE || pseudo === BPF_PSEUDO_MAP_IDX_VALUE) {
      // The value offset is the second slot's imm (libbpf's convention for both sources).
      const addr = map instanceof ArrayMap ? map.directValueAddress(hi) : -22;
      if (addr < 0)
        throw new LoadError('LOAD_ERROR', `${where}: no direct value access to map '${map.name}' at +${hi}`);
      return BigInt(addr);
    }
    throw new NotSupportedError(`lddw src_reg ${pseudo}`, where);
  };
}

/**
 * Loads `input` into a VM, after applying its CO-RE relocations (see `targetBtf`): maps, then
 * programs on `options.engine`, then prog-array and map-in-map slots.
 */
export function loadCollection(input: CollectionSpec, options: LoadCollectionOptions): VmCollection {
  // The shared loader options first (subset, types, map sizes, variables).
  const selected = applySpecOptions(input, options);
  // A type the section did not tell is the caller's to set (ProgramSpec.type), never UNSPEC at run.
  for (const p of selected.programs)
    if (p.type === 'UNSPEC') throw new NotSupportedError(unknownTypeFeature(p), `program ${p.name}`);
  const spec = relocateForVm(selected, options.targetBtf).spec;
  const names = spec.maps.map((m) => m.name);
  for (const name of Object.keys(options.mapReplacements ?? {}))
    if (!names.includes(name)) throw missing('map', name, names);
  // What the verifier may take as implemented: the runtime's helpers and the embedder's.
  const implemented = new Set([...RUNTIME_HELPERS.keys(), ...(options.helpers?.keys() ?? [])]);
  // The verify stage, after CO-RE (the kernel verifies relocated code) and before any engine.
  // What the stage learned goes to the engine (kfunc binding below changes no control flow).
  const facts = new Map<ProgramSpec, VerifiedFacts>();
  if (options.verify !== undefined)
    for (const p of spec.programs) {
      const f = options.verify(p, implemented, spec.maps, spec.btf);
      if (f !== undefined) facts.set(p, f);
    }
  // What engines run: kfunc calls bound to the VM's implementations (the spec keeps the names).
  const code = new Map(spec.programs.map((p) => [p, bindKfuncs(p).instructions]));
  const c = new VmCollection(spec, options);
  try {
    const byName = new Map<string, BpfMap>();
    const ordered: BpfMap[] = [];
    const createOptions = {
      cpus: options.cpus ?? 2,
      ...(options.memoryLimit === undefined ? {} : { budget: new MemoryBudget(options.memoryLimit) }),
      registry: c.registry,
      references: { ...options.references, program: (id: number) => c.hasProgramId(id) },
    };
    for (const s of spec.maps) {
      const replacement = options.mapReplacements?.[s.name];
      if (replacement !== undefined) {
        const map = reusable(s, replacement, c);
        byName.set(s.name, map);
        ordered.push(map);
        c.addMap(s, map, false);
        continue;
      }
      // libbpf sizes a perf event array left at 0 entries to the number of CPUs.
      const m =
        s.type === 'PERF_EVENT_ARRAY' && s.maxEntries === 0 ? { ...s, maxEntries: createOptions.cpus } : s;
      const map = createMap(c.space, m, createOptions);
      byName.set(m.name, map);
      ordered.push(map);
      c.addMap(m, map);
      if (m.contents?.kind === 'data') {
        if (m.contents.bytes.length > m.valueSize)
          throw new LoadError(
            'LOAD_ERROR',
            `map ${m.name}: initial data is ${m.contents.bytes.length} bytes, the value only ${m.valueSize}`,
          );
        const value = new Uint8Array(map.valueBufferSize);
        value.set(m.contents.bytes);
        map.update(u32Bytes(0), value);
      }
    }
    const helpers = new Map(bindHelpers(new Map([...RUNTIME_HELPERS, ...kfuncHelpers()]), c.env, c.runStart));
    for (const [id, fn] of options.helpers ?? []) helpers.set(id, fn);
    for (const p of spec.programs) {
      const { cfg, proved } = facts.get(p) ?? {};
      const engineOptions = {
        helpers,
        memory: c.space,
        resolveLddw: resolver(p, c, byName, ordered),
        ...(options.budget === undefined ? {} : { budget: options.budget }),
        ...(cfg === undefined ? {} : { cfg }),
        ...(proved === undefined ? {} : { proved }),
      };
      c.addProgram(p, () => options.engine(code.get(p)!, engineOptions));
    }
    for (const m of spec.maps) {
      const map = byName.get(m.name)!;
      if (m.contents?.kind === 'programs') {
        for (const s of m.contents.slots) {
          map.update(u32Bytes(s.index), u32Bytes(c.program(s.program).id));
        }
      } else if (m.contents?.kind === 'maps') {
        for (const s of m.contents.slots) {
          const inner = byName.get(s.map);
          if (inner === undefined)
            throw new LoadError('LOAD_ERROR', `map '${m.name}' slot ${s.index}: no map '${s.map}'`);
          map.update(u32Bytes(s.index), u32Bytes(c.registry.idOf(inner)));
        }
      }
    }
    return c;
  } catch (e) {
    c.close();
    throw e;
  }
}
