// The low-level entry: verifies one raw program as BPF_PROG_LOAD does (instructions, program and
// attach type, the maps its lddw instructions name, line info, the mode, the log level) and
// returns the verdict, the log in the kernel's form, the statistics and, for a refusal, the
// explanation. Structure first (cfg/: the kernel's check_cfg), then the walk, then the combined
// stack depth of call chains (check_max_stack_depth).

import type { Btf } from '../btf/types.js';
import { buildCfg, type Cfg, layout } from '../cfg/index.js';
import { slotArrays } from '../cfg/slot-arrays.js';
import { InvalidInstructionError, NotSupportedError, TsbpfError, VerifierError } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import type { FuncInfo, LineInfo, MapSpec, ProgramSpec } from '../program/types.js';
import type { AttachTypeName } from '../uapi/attach-types.js';
import { ctxKind } from '../uapi/context.js';
import { ProgType, type ProgTypeName } from '../uapi/prog-types.js';
import { returnRange } from './calls.js';
import type { Env } from './env.js';
import { type Explanation, explain, formatExplanation, trailPath } from './explain.js';
import { globalFunctions } from './globals.js';
import { liveRegisters } from './liveness.js';
import { type Precision, preciseRegisters, ZERO_SHIFT } from './precision.js';
import { provedAccesses } from './proofs.js';
import { Refusal } from './refuse.js';
import { callerFramesMatter, liveStackSlots, preciseStackSlots, type StackUse } from './stack-liveness.js';
import { STACK_SIZE } from './state.js';
import {
  type Code,
  INSN_LIMIT,
  insnText,
  type Trail,
  trailLine,
  WalkRefusal,
  type WalkStats,
  walk,
} from './walk.js';

export interface VerifyProgramInput {
  readonly instructions: readonly Instruction[];
  readonly type: ProgTypeName;
  readonly attachType?: AttachTypeName;
  /** The maps the program's lddw instructions name (by `reference`). */
  readonly maps?: readonly MapSpec[];
  /** bpf_line_info: refusals name the C source line. */
  readonly lineInfo?: readonly LineInfo[];
  /**
   * The object's BTF and the program's bpf_func_info: with them, functions of global linkage
   * are verified once from their prototypes and called on trust, as the kernel does
   * (globals.ts); without them every function is walked at each call, as a static one.
   */
  readonly btf?: Btf;
  readonly funcInfo?: readonly FuncInfo[];
  /** Privileged loading (root, CAP_BPF + CAP_PERFMON): the default, as tsbpf's kernel tests run. */
  readonly privileged?: boolean;
  /** 0: statistics only; 1: the refused path; 2: every instruction walked. Default 1. */
  readonly logLevel?: 0 | 1 | 2;
  /**
   * The program will be JIT-compiled, as the kernel's `jit_requested` (net.core.bpf_jit_enable,
   * on by default where the kernel has a JIT): each frame counts toward the combined 512-byte
   * stack of a call chain rounded up to 16 bytes (0 for a frame with no stack); false: rounded up
   * to 32 bytes and at least 32, as the kernel's interpreter needs. Default true.
   */
  readonly jit?: boolean;
  /** The program's CFG when the caller already built it (it must be `buildCfg(instructions)`). */
  readonly cfg?: Cfg;
}

/**
 * What BPF_PROG_LOAD gives the verifier for program `p` of an object: its instructions, types,
 * line and func info, the object's maps and BTF (`spec` as a loader has CO-RE-relocated it).
 * `options` sets the rest of the input (mode, log level, ...).
 */
export function programInput(
  spec: { readonly maps: readonly MapSpec[]; readonly btf?: Btf },
  p: Pick<ProgramSpec, 'instructions' | 'type'> &
    Partial<Pick<ProgramSpec, 'attachType' | 'lineInfo' | 'funcInfo'>>,
  options: Omit<
    VerifyProgramInput,
    'instructions' | 'type' | 'attachType' | 'maps' | 'lineInfo' | 'btf' | 'funcInfo'
  > = {},
): VerifyProgramInput {
  return {
    instructions: p.instructions,
    type: p.type,
    ...(p.attachType === undefined ? {} : { attachType: p.attachType }),
    maps: spec.maps,
    lineInfo: p.lineInfo ?? [],
    ...(spec.btf === undefined ? {} : { btf: spec.btf }),
    funcInfo: p.funcInfo ?? [],
    ...options,
  };
}

export interface VerifierStats extends WalkStats {
  /** Stack bytes used per subprogram (by its first slot), rounded as the kernel rounds them. */
  readonly stackDepth: readonly number[];
  /** Wall time of the verification in microseconds (the kernel's `verification time`). */
  readonly timeUs: number;
}

export interface VerifyProgramResult {
  readonly verdict: 'accepted' | 'rejected';
  /** The log in the kernel's form (level 1 or 2 lines, the message, the statistics line). */
  readonly log: string;
  readonly stats: VerifierStats;
  /** For a refusal: the kernel's message, the property, the path, the register, the hint. */
  readonly explanation?: Explanation;
  /** The explanation as text (source line, path, hint). */
  readonly explanationText?: string;
  /**
   * Accepted only: per slot, PROVED (1) where every path the walk took proved the load or store
   * there, or the memory arguments of the helper called there, in bounds of packet, context,
   * stack or a stable map value (verifier/proofs.ts); the JIT drops those checks.
   */
  readonly proved?: Uint8Array;
}

const EMPTY_STATS: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 };

export function statsLine(s: WalkStats): string {
  return `processed ${s.processed} insns (limit ${INSN_LIMIT}) max_states_per_insn ${s.maxStatesPerInsn} total_states ${s.totalStates} peak_states ${s.peakStates} mark_read 0`;
}

/** The shape checks a JavaScript caller's input gets (TypeScript callers have them from the types). */
function checkInput(input: VerifyProgramInput): void {
  const bad = (what: string) => new TsbpfError('INVALID_ARGUMENT', `verifyProgram: ${what}`);
  if (typeof input !== 'object' || input === null) throw bad('the input must be an object');
  if (!Array.isArray(input.instructions)) throw bad('`instructions` must be an array of instructions');
  if (!Object.hasOwn(ProgType, input.type))
    throw bad(
      `unknown program type ${JSON.stringify(input.type)} (the kernel's names without BPF_PROG_TYPE_, e.g. XDP, SCHED_CLS)`,
    );
  if (input.logLevel !== undefined && ![0, 1, 2].includes(input.logLevel))
    throw bad('`logLevel` is 0, 1 or 2');
}

export function verifyProgram(input: VerifyProgramInput): VerifyProgramResult {
  const started = now();
  checkInput(input);
  const logLevel = input.logLevel ?? 1;
  const ctx = ctxKind(input.type);
  if (ctx === undefined) throw new NotSupportedError(`verifying programs of type ${input.type}`);
  const privileged = input.privileged ?? true;
  const lineInfo = input.lineInfo ?? [];
  const finish = (
    verdict: 'accepted' | 'rejected',
    lines: readonly string[],
    stats: WalkStats,
    depths: readonly number[],
    explanation?: Explanation,
    describe?: (pc: number) => string,
  ): VerifyProgramResult => {
    const out: VerifierStats = {
      processed: stats.processed,
      totalStates: stats.totalStates,
      peakStates: stats.peakStates,
      maxStatesPerInsn: stats.maxStatesPerInsn,
      stackDepth: depths,
      timeUs: Math.round((now() - started) * 1000),
    };
    // Below level 2 an accepted program logs the statistics line alone.
    const log = lines.length === 0 ? `${statsLine(stats)}\n` : [...lines, statsLine(stats), ''].join('\n');
    return {
      verdict,
      log,
      stats: out,
      ...(explanation === undefined
        ? {}
        : { explanation, explanationText: formatExplanation(explanation, describe ?? (() => '')) }),
    };
  };
  const structural = (message: string, pc: number | undefined): VerifyProgramResult =>
    finish('rejected', [message], EMPTY_STATS, [], {
      property: 'structure',
      message,
      pc: pc ?? 0,
      path: [],
    });

  // bpf_prog_load: without CAP_BPF only socket filters and cgroup skb programs load (EPERM, no log).
  if (!privileged && input.type !== 'SOCKET_FILTER' && input.type !== 'CGROUP_SKB')
    return structural(
      `program type ${input.type} needs CAP_BPF: unprivileged loads are socket filters and cgroup skb programs (BPF_PROG_LOAD fails with EPERM)`,
      undefined,
    );
  let cfg: Cfg;
  const at: (Instruction | undefined)[] = [];
  const kinds: (Kind | undefined)[] = [];
  try {
    // One decoding of the program for the CFG and the walk (classify builds a Kind per call).
    const l = layout(input.instructions);
    cfg = input.cfg ?? buildCfg(input.instructions, { layout: l });
    for (let k = 0; k < l.kinds.length; k++) {
      const pc = l.slotOf[k]!;
      at[pc] = l.insns[k];
      kinds[pc] = l.kinds[k];
    }
  } catch (e) {
    if (e instanceof VerifierError) return structural(e.log.trim(), e.pc);
    if (e instanceof InvalidInstructionError) return structural(e.message, undefined);
    throw e;
  }
  // add_subprog_and_kfunc: bpf-to-bpf calls, function addresses and kfunc calls need CAP_BPF.
  if (!privileged) {
    const call = kinds.findIndex(
      (k) => (k?.kind === 'call' && k.target !== 'helper') || (k?.kind === 'lddw' && k.pseudo === 4),
    );
    if (call >= 0)
      return structural(
        'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN',
        call,
      );
  }
  if (!privileged && cfg.backEdges.length > 0) {
    const b = cfg.backEdges[0]!;
    return structural(
      `back-edge from insn ${cfg.blocks[b.from]!.last} to ${cfg.blocks[b.to]!.start}`,
      cfg.blocks[b.from]!.last,
    );
  }
  const env: Env = {
    type: input.type,
    attachType: input.attachType,
    ctx,
    maps: new Map((input.maps ?? []).map((m) => [m.name, sameShapeMap(m)])),
    privileged,
    subprogramStarts: new Set(cfg.subprograms.map((s) => s.start)),
    globals: globalFunctions(cfg, input.btf, input.funcInfo ?? [], ctx),
    proofs: new Uint8Array(cfg.slots),
    ...perWalk(),
  };
  const stack = liveStackSlots(cfg, at, kinds, env.maps);
  const { precise, stackPrecise } = precisionOf(cfg, at, kinds, stack, returnRange(env) !== undefined);
  const code: Code = {
    at,
    kinds,
    cfg,
    live: liveRegisters(cfg, at, kinds),
    precise,
    stack,
    stackPrecise,
  };
  const describe = (pc: number) => (at[pc] === undefined ? '?' : insnText(at[pc]!, pc));
  const rejected = (r: WalkRefusal, level: number): VerifyProgramResult => {
    let refusal = r;
    // The path is kept only while logging: a quiet run that refuses walks again at level 1.
    if (level === 0) {
      try {
        walk({ ...env, ...perWalk() }, code, 1);
      } catch (e) {
        if (e instanceof WalkRefusal) refusal = e;
        else throw e;
      }
    }
    const path = trailPath(refusal.trail);
    const lines = logLevel >= 2 ? [...r.log] : trailLines(refusal.trail, lineInfo);
    lines.push(r.refusal.message);
    const why = explain(r.refusal, r.pc, path, refusal.state, at, lineInfo);
    return finish('rejected', lines, r.stats, [], why, describe);
  };
  try {
    const result = walk(env, code, logLevel);
    const jit = input.jit ?? true;
    const depths = cfg.subprograms.map((s) => roundDepth(result.depths.get(s.start) ?? 0, jit));
    const tooDeep = combinedStack(cfg, depths);
    if (tooDeep !== undefined) {
      const lines = [...result.log, tooDeep];
      return finish('rejected', lines, result.stats, depths, {
        property: 'stack-bounds',
        message: tooDeep,
        pc: 0,
        path: [],
        hint: 'the frames of a call chain share 512 bytes: inline functions or move buffers to a per-CPU map',
      });
    }
    return {
      ...finish('accepted', result.log, result.stats, depths),
      proved: provedAccesses(env.proofs),
    };
  } catch (e) {
    if (e instanceof WalkRefusal) return rejected(e, logLevel);
    if (e instanceof Refusal) throw e;
    throw e;
  }
}

/** The path's lines; with line info, each instruction that starts a C line is preceded by it, as the kernel prints (`; text @ file:line`). */
function trailLines(trail: Trail | undefined, lineInfo: readonly LineInfo[]): string[] {
  const starts = new Map(lineInfo.map((l) => [l.insnOff, l]));
  const out: string[] = [];
  for (let t = trail; t !== undefined; t = t.prev) {
    out.unshift(trailLine(t));
    const l = t.insn === undefined ? undefined : starts.get(t.pc);
    if (l !== undefined) out.unshift(`; ${l.text.trim()} @ ${l.file.split('/').pop()}:${l.line}`);
  }
  return out;
}

/**
 * Register and stack-slot precision (precision.ts, stack-liveness.ts). First on the assumption
 * that nothing callees do in their callers' frames decides a check (their stores there are no
 * spills that matter, the frames their calls read are not compared exactly); where that does not
 * hold (callerFramesMatter), again with every such store a possible spill and every such read
 * exact.
 */
export function precisionOf(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  stack: StackUse | undefined,
  returnChecked: boolean,
): { precise: Precision; stackPrecise: { readonly lo: Int32Array; readonly hi: Int32Array } | undefined } {
  if (stack === undefined)
    return { precise: preciseRegisters(cfg, at, kinds, undefined, returnChecked), stackPrecise: undefined };
  const attempt = (calleesMatter: boolean) => {
    // A register stored into a slot whose value no later check reads is not wanted for that
    // store. Which slots matter depends on which fills feed wanted registers; taking every fill
    // as wanted bounds them from above (one cheap pass), so stores outside that bound are quiet.
    const bound = preciseStackSlots(cfg, at, kinds, stack, () => true, calleesMatter);
    const relaxed = slotArrays(cfg).uint8(cfg.slots);
    for (let pc = 0; pc < cfg.slots; pc++) {
      const s = stack.storeSlot[pc]!;
      const off = stack.offStack[pc]! | (calleesMatter ? 0 : stack.otherStore[pc]!);
      const quiet = s >= 0 && (((s < 32 ? bound.lo : bound.hi)[pc + 1]! >>> (s & 31)) & 1) === 0;
      relaxed[pc] = off === 1 || quiet ? 1 : 0;
    }
    const precise = preciseRegisters(cfg, at, kinds, relaxed, returnChecked);
    // A load's register is wanted after it when the slot after it wants it (one successor).
    const wanted = (pc: number, r: number) =>
      ((precise.precise[pc + 1]! >>> r) & 1) === 1 ||
      ((precise.precise[pc + 1]! >>> (ZERO_SHIFT + r)) & 1) === 1;
    const slots = preciseStackSlots(cfg, at, kinds, stack, wanted, calleesMatter);
    return { precise, stackPrecise: slots, wanted };
  };
  const quiet = attempt(false);
  return callerFramesMatter(at, stack, quiet.wanted, quiet.stackPrecise) ? attempt(true) : quiet;
}

/** What each walk of a program starts afresh (the kernel's per-verification env fields). */
const perWalk = () => ({
  aluSanitation: new Map<number, { readonly state: number; readonly limit: number }>(),
  exploreAluLimits: false,
  nospec: new Set<number>(),
  nospecResult: new Set<number>(),
  idGen: 0,
});

/**
 * A frame's share of the combined stack, as the kernel's round_up_stack_depth (6.18): JITed, the
 * depth rounded up to 16 bytes (a frame with no stack costs nothing); interpreted, rounded up to
 * 32 bytes from at least 1, the interpreter's granularity.
 */
const roundDepth = (d: number, jit: boolean): number =>
  jit ? Math.ceil(d / 16) * 16 : Math.ceil(Math.max(d, 1) / 32) * 32;

/**
 * The first call chain whose frames together exceed 512 bytes, as the kernel words it. A
 * callback's frame sits on its caller's, as a callee's does: the kernel's check_max_stack_depth
 * follows a function's address (BPF_PSEUDO_FUNC) as it follows a call.
 */
function combinedStack(cfg: Cfg, depths: readonly number[]): string | undefined {
  const visit = (sub: number, total: number, frames: number, seen: Set<number>): string | undefined => {
    const sum = total + depths[sub]!;
    if (sum > STACK_SIZE) return `combined stack size of ${frames} calls is ${sum}. Too large`;
    const s = cfg.subprograms[sub]!;
    for (const c of [...new Set([...s.callees, ...s.callbacks])].sort((a, b) => a - b)) {
      if (seen.has(c)) continue;
      seen.add(c);
      const r = visit(c, sum, frames + 1, seen);
      seen.delete(c);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  return visit(0, 0, 1, new Set([0]));
}

/** Milliseconds from a monotonic clock where there is one (browsers and Node have performance). */
function now(): number {
  const p = (globalThis as { performance?: { now(): number } }).performance;
  return p?.now() ?? Date.now();
}

/**
 * The map as the walk reads it: a copy with every field present, in one order. Specs from ELF
 * objects, the builder and tests differ in which optional fields they hold: one shape keeps the
 * code that reads them monomorphic (as cfg/layout.ts does for instructions).
 */
function sameShapeMap(m: MapSpec): MapSpec {
  return {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    pinning: m.pinning,
    numaNode: m.numaNode,
    mapExtra: m.mapExtra,
    innerMap: m.innerMap === undefined ? undefined : sameShapeMap(m.innerMap),
    contents: m.contents,
    btfKeyType: m.btfKeyType,
    btfValueType: m.btfValueType,
    sectionName: m.sectionName,
  };
}
