// A VM program as the backend-neutral API shows it (LoadedProgram): `run` is the VM's
// BPF_PROG_TEST_RUN — it builds the context the kernel would (context/xdp.ts, context/skb.ts),
// runs the program (following tail calls) `repeat` times, and reports retval, data_out and
// ctx_out with the kernel's errnos as BpfError('BPF_PROG_TEST_RUN', errno).

import { BpfError, ClosedError, NotSupportedError } from '../../errors.js';
import { op } from '../../isa/index.js';
import type { ProgramSpec } from '../../program/index.js';
import { ctxKind, ctxSize } from '../../uapi/context.js';
import { Errno } from '../../uapi/errno.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { LoadedProgram, TestRunInput, TestRunResult } from '../backend.js';
import { SkbContext } from '../context/skb.js';
import { TestRunRefusal } from '../context/types.js';
import { type Interfaces, XdpContext } from '../context/xdp.js';
import type { Engine } from '../engine.js';
import type { MapRegistry } from '../maps/registry.js';
import type { AddressSpace } from '../memory.js';
import { testRunRepeat } from '../test-run-repeat.js';
import type { ContextBatch } from './batch.js';

declare const performance: { now(): number };

const BPF_FUNC_SPIN_LOCK = 93;

/** What a program needs of its collection to run. */
export interface ProgramHost {
  readonly space: AddressSpace;
  readonly interfaces: Interfaces;
  /** The collection's maps by id (what a redirect outcome names). */
  readonly registry: MapRegistry;
  readonly closed: boolean;
  /** The program with collection id `id` (a devmap/cpumap entry's program), or undefined. */
  programById(id: number): VmProgram | undefined;
  /**
   * Runs `program` once on `ctx` (tail calls included) and returns r0 as the kernel reports it;
   * `fresh`: each program of the chain starts on a zeroed stack.
   */
  execute(program: VmProgram, ctx: XdpContext | SkbContext, cpu?: number, fresh?: boolean): number;
  /** `count` runs on `ctx` (test-run repeats), in one call into the engine where it can; r0 of the last. */
  repeat(program: VmProgram, ctx: XdpContext | SkbContext, count: number, cpu?: number): number;
  /** Runs `program` over a batch of contexts (a data path's poll); see VmProgram.runBatch. */
  runBatch(program: VmProgram, batch: ContextBatch, count: number, cpu: number | undefined): void;
  /** The same for a data path: on `cpu` (default: the collection's), redirect outcome cleared first. */
  runOn(program: VmProgram, ctx: XdpContext | SkbContext, cpu: number | undefined): number;
  /** Where the last bpf_redirect / bpf_redirect_map pointed. */
  readonly redirect: { readonly ifindex: number; readonly map: number | undefined; readonly flags: bigint };
  /**
   * The parked context of the last test run that completed, whose regions the next run() of the
   * same type takes instead of allocating its own (one per collection).
   */
  spare: XdpContext | SkbContext | undefined;
}

const refuse = (errno: number, reason: string): BpfError =>
  new BpfError('BPF_PROG_TEST_RUN', errno, { reason });

export class VmProgram implements LoadedProgram {
  readonly name: string;
  readonly type: ProgTypeName;
  readonly spec: ProgramSpec;
  /** The program's id in its collection (what a PROG_ARRAY slot holds). */
  readonly id: number;
  readonly engine: Engine;
  readonly #host: ProgramHost;
  /**
   * @internal Whether runs may go to the engine in batches (Engine.runRepeat/runBatch): not when
   * the program can take a bpf_spin_lock (93) — directly or through callx, which may name a
   * helper ID — since a lock still held must fail the run that exits with it, before the next.
   */
  readonly batchable: boolean;

  /** @internal made by loadCollection(). */
  constructor(spec: ProgramSpec, id: number, engine: Engine, host: ProgramHost) {
    this.batchable = !spec.instructions.some(
      (i) => i.op === op.OP_CALLX || (i.op === op.OP_CALL && i.src === 0 && i.imm === BPF_FUNC_SPIN_LOCK),
    );
    this.name = spec.name;
    this.type = spec.type;
    this.spec = spec;
    this.id = id;
    this.engine = engine;
    this.#host = host;
  }

  /** What a prog array slot takes for this program (backend-neutral, as the kernel's fd): the id. */
  get fd(): number {
    return this.id;
  }

  /** The engine running the program: 'jit', 'interp', or 'custom' (an engine factory of the embedder's). */
  get engineName(): string {
    return this.engine.engineName ?? 'custom';
  }

  /** Why the interpreter runs a program the JIT was asked for (what the JIT cannot compile), if so. */
  get engineReason(): string | undefined {
    return this.engine.engineReason;
  }

  /** Milliseconds the JIT spent compiling the program (undefined on the interpreter). */
  get compileMs(): number | undefined {
    return this.engine.compileMs;
  }

  /**
   * Runs the program once on a context the caller made and keeps (a frame's XdpContext, an
   * SkbContext), following tail calls, on CPU `cpu` (default: the collection's), and returns r0
   * as the kernel reports it (u32). No test-run set-up: this is what a data path calls per
   * frame. The redirect outcome of this run (cleared before it) is in `redirect` afterwards.
   */
  runOn(ctx: XdpContext | SkbContext, cpu?: number): number {
    return this.#host.runOn(this, ctx, cpu);
  }

  /**
   * Runs the program on contexts 0..count-1 of `batch` (frames the caller refilled), as runOn
   * would one after another, but in one call into the engine where it can (the JIT; the
   * interpreter runs them one by one): r0 of run k is `batch.result(k)`, its redirect outcome
   * `batch.redirects[k]`. Tail calls are followed; a fault ends the batch.
   */
  runBatch(batch: ContextBatch, count: number, cpu?: number): void {
    this.#host.runBatch(this, batch, count, cpu);
  }

  /** Where bpf_redirect / bpf_redirect_map pointed in the last run (ifindex or map key, map id, flags). */
  get redirect(): { readonly ifindex: number; readonly map: number | undefined; readonly flags: bigint } {
    return this.#host.redirect;
  }

  /** @internal The collection the program runs in (its address space, maps, sibling programs): for a data path. */
  get host(): ProgramHost {
    return this.#host;
  }

  run(input: TestRunInput = {}): TestRunResult {
    if (this.#host.closed) throw new ClosedError(`program '${this.name}'`);
    const kind = ctxKind(this.type);
    if (kind === undefined) throw new NotSupportedError(`BPF_PROG_TEST_RUN for ${this.type} programs`);
    // bpf_prog_test_run_xdp refuses devmap and cpumap programs (net/bpf/test_run.c).
    const attach = this.spec.attachType;
    if (attach === 'XDP_DEVMAP' || attach === 'XDP_CPUMAP')
      throw refuse(Errno.EINVAL, `${attach} programs cannot be test-run`);
    const repeatCount = testRunRepeat(input.repeat);
    const data = input.data ?? new Uint8Array(0);
    // The kernel builds a context when ctx_in or ctx_out is given (bpf_ctx_init); zeros without ctx_in.
    const ctxOutSize = input.ctxSizeOut ?? input.ctx?.length ?? 0;
    const ctxIn = input.ctx ?? (ctxOutSize > 0 ? new Uint8Array(ctxSize(kind)) : undefined);
    const host = this.#host;
    const common = { data, ctx: ctxIn, flags: input.flags ?? 0, interfaces: host.interfaces };
    const spare = host.spare;
    const c =
      kind === 'xdp_md'
        ? XdpContext.create(this.type, host.space, common, spare instanceof XdpContext ? spare : undefined)
        : SkbContext.create(
            this.type,
            host.space,
            {
              data,
              ctx: ctxIn,
              flags: common.flags,
              interfaces: host.interfaces,
              cpu: input.cpu ?? 0,
              socket: true,
            },
            spare instanceof SkbContext ? spare : undefined,
          );
    // A refused input leaves the spare parked; a context made spends it (or it was of the other kind).
    if (c instanceof TestRunRefusal) throw refuse(c.errno, c.reason);
    host.spare = undefined;
    if (spare !== undefined && spare.kind !== c.kind) spare.release();
    let completed = false;
    try {
      const repeat = Math.max(1, repeatCount);
      let retval = 0;
      const t0 = performance.now();
      // The first run starts on zeroed stacks, as every run did before runContext; repeats do not.
      retval = this.#host.execute(this, c, undefined, true);
      if (repeat > 1) retval = this.#host.repeat(this, c, repeat - 1);
      const duration = Math.round(((performance.now() - t0) * 1e6) / repeat);
      const out = c.output();
      if (input.dataSizeOut !== undefined && input.dataSizeOut > 0 && out.length > input.dataSizeOut) {
        throw refuse(Errno.ENOSPC, `data_out of ${out.length} bytes in ${input.dataSizeOut}`);
      }
      completed = true;
      const result = { retval, data: input.dataSizeOut === 0 ? new Uint8Array(0) : out, duration };
      if (ctxIn === undefined || ctxOutSize === 0) return result;
      if (ctxOutSize < ctxSize(kind))
        throw refuse(Errno.ENOSPC, `ctx_out of ${ctxSize(kind)} bytes in ${ctxOutSize}`);
      return { ...result, ctx: c.outputCtx(ctxIn) };
    } finally {
      // A run that faulted may have left the context half changed (an skb mid-expand): free it.
      if (completed && host.spare === undefined && !host.closed) {
        c.park();
        host.spare = c;
      } else c.release();
    }
  }
}
