// The walk (the kernel's do_check): every path of the program is executed over abstract states,
// one instruction at a time, depth first — a conditional jump whose outcome is unknown pushes the
// taken edge and goes on with the fall-through. At prune points (jump targets and fall-throughs)
// a path stops when a fully explored state there covers it, and refuses when it equals a state
// still being explored (a loop that cannot end). At most 1,000,000 instructions are processed.

import { formatInstruction } from '../asm/index.js';
import type { Cfg } from '../cfg/index.js';
import { slotArrays } from '../cfg/slot-arrays.js';
import { assertNever, Errno, NotSupportedError, verifierErrno } from '../errors.js';
import { type Instruction, type Kind, lddwValue, targetOf } from '../isa/index.js';
import { helperName } from '../uapi/helpers.js';
import { aluStep, readReg, writableDst } from './alu.js';
import { branch } from './branch.js';
import { exitFrame, helperCall, invokesCallback, localCall, resourceLeak } from './calls.js';
import type { Env } from './env.js';
import { formatReg, formatState } from './format.js';
import { type GlobalFunc, globalCall, globalEntry } from './globals.js';
import { kfuncCall } from './kfuncs.js';
import { access, checkAccess } from './memory.js';
import { endian, fork, immediate, loaded, sameScalar, scalarConst } from './num.js';
import { type Precision, ZERO_SHIFT } from './precision.js';
import { noteAccess } from './proofs.js';
import { CALLER_LIVE, type CallerLive, scalarSpill64, statesEqual } from './prune.js';
import { Refusal, refuse } from './refuse.js';
import type { StackUse } from './stack-liveness.js';
import { storeNeedsBarrier } from './stack-slots.js';
import {
  copyState,
  current,
  entryState,
  isPointer,
  NOT_INIT,
  pointer,
  type Reg,
  type State,
  scalarReg,
  slot,
  UNKNOWN,
  writableStack,
} from './state.js';

export const INSN_LIMIT = 1_000_000;

type JmpKind = Extract<Kind, { kind: 'jmp' }>;

/** The errors a speculative path is fenced for rather than refused (error_recoverable_with_nospec). */
const RECOVERABLE: ReadonlySet<number> = new Set([Errno.EPERM, Errno.EACCES, Errno.EINVAL]);
/** Pending paths at most (the kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ). */
const JMP_SEQ_LIMIT = 8192;

/** The program as the walk reads it: instruction and kind by slot (undefined on an lddw's second slot). */
export interface Code {
  readonly at: readonly (Instruction | undefined)[];
  readonly kinds: readonly (Kind | undefined)[];
  readonly cfg: Cfg;
  readonly live: Int32Array;
  /** Registers whose scalar values later checks may read, by slot (precision.ts). */
  readonly precise: Precision;
  /** Live stack slots by slot (stack-liveness.ts), when its stack pointers can be followed statically. */
  readonly stack: StackUse | undefined;
  /** Of the live slots, those whose spilled scalar may matter (privileged loads; stack-liveness.ts). */
  readonly stackPrecise: { readonly lo: Int32Array; readonly hi: Int32Array } | undefined;
}

export interface WalkStats {
  processed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
}

/**
 * One step of a path, kept as a shared list so that forks share their prefix. Its log line is
 * formatted only when asked (trailLine): registers are immutable, so keeping them is enough.
 */
export interface Trail {
  readonly pc: number;
  /** The instruction walked (absent: the state a path starts with, `state`). */
  readonly insn?: Instruction;
  /** The registers it changed in the current frame. */
  readonly changed?: readonly (readonly [number, Reg])[];
  readonly state?: State;
  readonly prev: Trail | undefined;
}

/** The kernel-form log line of one step: `5: (71) r0 = *(u8 *)(r2 +13)   ; R0=scalar(...)`. */
export function trailLine(t: Trail): string {
  if (t.insn === undefined) return `${t.pc}: ${t.state === undefined ? '' : formatState(t.state)}`;
  const head = `${t.pc}: ${insnText(t.insn, t.pc)}`;
  if (t.changed === undefined || t.changed.length === 0) return head;
  const regs = t.changed.map(([r, reg]) => `R${r}=${formatReg(reg)}`).join(' ');
  return `${head.padEnd(37)} ; ${regs}`;
}

export interface WalkResult {
  readonly stats: WalkStats;
  /** Deepest stack use per subprogram start (bytes). */
  readonly depths: ReadonlyMap<number, number>;
  /** Level-2 lines (every step); empty below level 2. */
  readonly log: string[];
}

/** A refusal with where it happened: the slot and the path that led there. */
export class WalkRefusal extends Error {
  readonly refusal: Refusal;
  readonly pc: number;
  readonly trail: Trail | undefined;
  readonly stats: WalkStats;
  readonly state: State;
  /** Level-2 lines up to the refusal. */
  log: readonly string[] = [];
  constructor(refusal: Refusal, pc: number, trail: Trail | undefined, stats: WalkStats, state: State) {
    super(refusal.message);
    this.refusal = refusal;
    this.pc = pc;
    this.trail = trail;
    this.stats = stats;
    this.state = state;
  }
}

/**
 * A checkpoint: a state met at a prune point, and how many paths from it are still open (while
 * any is, it can only show a loop; once none is, it may prune).
 */
interface Explored {
  readonly state: State;
  branches: number;
  readonly parent: Explored | undefined;
  /** Times it pruned a path / failed to: a state that keeps missing is dropped (as the kernel does). */
  hit: number;
  miss: number;
  /** Where the current frame returns to (the kernel keeps one list per call site and instruction). */
  readonly site: number;
  /**
   * Equal states have equal fingerprints (the exact check runs only within one); worked out at
   * the first loop check that meets it (NaN until then: most checkpoints never meet one).
   */
  fingerprint: number;
  /** At a conditional jump: the path from it took both edges (precision.ts, `undecided`). */
  bothEdges: boolean;
}

/** A hash of what exact equality compares first: the frames, and the current frame's registers. */
function fingerprint(st: State): number {
  const f = current(st);
  let h = st.frames.length * 7919 + st.refs.length;
  for (const r of f.regs) {
    h = (Math.imul(h, 31) + r.type.length * 131 + r.off + r.range) | 0;
    // Number() of a bigint allocates nothing (a bigint operation would); fmod keeps large values' low digits.
    h = (Math.imul(h, 31) + ((Number(r.value.var.value) % 1_000_000_007) | 0)) | 0;
    h = (Math.imul(h, 31) + ((Number(r.value.var.mask) % 1_000_000_007) | 0)) | 0;
  }
  return h;
}

interface Path {
  pc: number;
  st: State;
  parent: Explored | undefined;
  trail: Trail | undefined;
  /** The level-2 heading of a popped path (`from 4 to 7: ...`); undefined for the entry. */
  readonly from: number | undefined;
}

/**
 * Open invocations of a callback at one call after which every scalar they keep changing is
 * widened, precise or not. Per return the kernel widens only imprecise scalars (below); its
 * precision is found as it walks, tsbpf's is static and wider, and a value it keeps precise that
 * the kernel does not would be compared exactly at every invocation, up to the loop's count.
 */
const WIDEN_AFTER = 16;

/** Registers and stack slots (bit k of lo: slot k; of hi: slot 32 + k) whose values may matter. */
interface Kept {
  readonly regs: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Makes every scalar of `cur` (registers, and registers spilled whole) that differs from the one
 * at its place in `old` an unknown scalar: the state then covers both, and the next invocations
 * from it meet a state they repeat. Sound: it only adds values. With `kept`, only the current
 * frame's scalars outside it (the kernel's widen_imprecise_scalars at a callback's return, whose
 * precise scalars stay); without, every frame's.
 */
function widen(cur: State, old: State, kept?: Kept): void {
  const top = cur.frames.length - 1;
  for (let k = kept === undefined ? 0 : top; k <= top && k < old.frames.length; k++) {
    const c = cur.frames[k]!;
    const o = old.frames[k]!;
    for (let r = 0; r < 10; r++) {
      if (kept !== undefined && ((kept.regs >> r) & 1) !== 0) continue;
      const a = c.regs[r]!;
      const b = o.regs[r]!;
      if (a.type === 'scalar' && b.type === 'scalar' && !sameScalar(a.value, b.value)) c.regs[r] = UNKNOWN;
    }
    for (let n = 0; n < c.stack.length && n < o.stack.length; n++) {
      if (kept !== undefined && (((n < 32 ? kept.lo : kept.hi) >> (n & 31)) & 1) !== 0) continue;
      const a = c.stack[n]!;
      const b = o.stack[n]!;
      if (scalarSpill64(a) && scalarSpill64(b) && !sameScalar(a.spilled!.value, b.spilled!.value))
        writableStack(c)[n] = slot(a.bytes, UNKNOWN);
    }
  }
}

/**
 * Whether some frame above `k` may still reach frame k's stack: a live register of the current
 * frame, a register of a frame between that survives calls (r6-r9), or a spilled register of any
 * frame above k holds a pointer into it.
 */
function pointsInto(st: State, k: number, live: number): boolean {
  const top = st.frames.length - 1;
  const into = (r: Reg | undefined) => r !== undefined && r.type === 'fp' && r.frame === k;
  for (let j = k + 1; j <= top; j++) {
    const f = st.frames[j]!;
    for (let r = j === top ? 0 : 6; r < 10; r++)
      if ((j !== top || ((live >> r) & 1) !== 0) && into(f.regs[r])) return true;
    for (const s of f.stack) if (into(s.spilled)) return true;
  }
  return false;
}

/** The checkpoints of `list` still open at call site `site`: how many, and the newest. */
function openAt(list: readonly Explored[], site: number): { open: number; newest: Explored | undefined } {
  let open = 0;
  let newest: Explored | undefined;
  for (const e of list)
    if (e.site === site && e.branches > 0) {
      open += 1;
      newest = e;
    }
  return { open, newest };
}

/** An empty list to read where a slot has no checkpoints yet (never written to). */
const NONE: Explored[] = [];

export function walk(env: Env, code: Code, logLevel: number): WalkResult {
  const { at, kinds, cfg, live } = code;
  // Unprivileged loads keep every scalar precise, as the kernel does (__mark_reg_unknown).
  const precision = env.privileged ? code.precise : undefined;
  // What a caller below the current frame may still read (func_states_equal on the frame at its
  // call): the registers live at a callback's call, which runs again, or r6-r9 where live after a
  // bpf-to-bpf call (the return clears r1-r5), and their precision at the call; its stack slots
  // (bpf_stack_slot_alive) for a callback's caller those live at the call, to which each
  // invocation returns, for a bpf-to-bpf callee's those live after the call, unless a pointer
  // into the caller's frame is still held above it (the call reads the whole frame it passes a
  // pointer into: stack-liveness.ts).
  const stackUse = code.stack;
  const caller = (cur: State, k: number, topLive: number): CallerLive => {
    const child = cur.frames[k + 1]!;
    // A callback returns to its call; a callee to the slot after it.
    const call = child.callback ? child.returnTo : child.returnTo - 1;
    const at = child.callback || pointsInto(cur, k, topLive) ? call : child.returnTo;
    return {
      regs: child.callback ? live[call]! : live[child.returnTo]! & CALLER_LIVE,
      precise: precision === undefined ? -1 : precision.precise[call]!,
      slots: stackUse === undefined ? undefined : { lo: stackUse.lo[at]!, hi: stackUse.hi[at]! },
    };
  };
  const mem = slotArrays(cfg);
  const prunePoints = mem.uint8(cfg.slots);
  const callsCallback = mem.uint8(cfg.slots);
  for (let pc = 0; pc < cfg.slots; pc++) {
    const k = kinds[pc];
    const i = at[pc];
    if (k === undefined || i === undefined) continue;
    // The kernel's prune points (visit_insn, push_insn, visit_func_call_insn): a conditional jump
    // itself (one state there covers both edges), every jump's target, the instruction after a
    // call, a bpf-to-bpf call itself and its callee's entry, and a helper call that invokes a
    // callback.
    if (k.kind === 'jmp') prunePoints[pc] = 1;
    if (k.kind === 'jmp' || k.kind === 'ja') prunePoints[targetOf(i, k, pc)!] = 1;
    if (k.kind === 'call') {
      prunePoints[pc + 1] = 1;
      // A bpf-to-bpf call and its callee's first instruction (the kernel's push_insn marks the
      // target of the call's edge as it marks a jump's).
      if (k.target === 'local') {
        prunePoints[pc] = 1;
        prunePoints[targetOf(i, k, pc)!] = 1;
      }
      // A call that invokes a callback is a checkpoint, made at every visit (mark_force_checkpoint):
      // each invocation comes back to it, and stops where it meets a state it repeats.
      if (invokesCallback(i, k)) {
        prunePoints[pc] = 1;
        callsCallback[pc] = 1;
      }
    }
  }
  // A function's address (lddw src 4) is visited as a call (visit_func_call_insn): the lddw, the
  // instruction after it and the function's first instruction are prune points.
  for (const c of cfg.callbacks) {
    prunePoints[c.pc] = 1;
    prunePoints[c.pc + 2] = 1;
    prunePoints[cfg.subprograms[c.callee]!.start] = 1;
  }
  // Checkpoints by slot in the order they were made (the kernel's explored_states lists, read
  // newest first): fully explored ones may prune, open ones can only show a loop.
  const explored: (Explored[] | undefined)[] = new Array(cfg.slots);
  const stats: WalkStats = { processed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0 };
  const depths = new Map<number, number>();
  const log: string[] = [];
  const step: Step = { state: undefined, jumpPc: 0, jumpSt: undefined, called: undefined };
  // The global functions called so far (verified after the main program, each once).
  const called = new Set<GlobalFunc>();
  const verified = new Set<GlobalFunc>();
  const trace = logLevel >= 1;
  const pending: Path[] = [{ pc: 0, st: entryState(), parent: undefined, trail: undefined, from: undefined }];
  // A new checkpoint only after 2 jumps and 8 instructions since the last (the kernel's heuristic
  // in is_state_visited): loops then keep few states. The first counts from the start, as the
  // kernel's prev_jmps_processed and prev_insn_processed start at 0.
  let jumps = 0;
  let lastJumps = 0;
  let lastInsns = 0;
  let alive = 0;
  // The current instruction's own rules are running (a refusal from them may be fenced instead).
  let executing = false;

  // A path ended: its checkpoints with no other open path are fully explored (they may prune).
  const close = (e: Explored | undefined) => {
    for (let s = e; s !== undefined; s = s.parent) {
      s.branches -= 1;
      if (s.branches > 0) break;
    }
  };
  const noteDepths = (st: State) => {
    for (const f of st.frames)
      if ((depths.get(f.subprogram) ?? -1) < f.depth) depths.set(f.subprogram, f.depth);
  };

  // do_check_subprogs: after the main program, each global function called on some path, once,
  // from its prototype; the functions in order, then again while new ones got called.
  const globals = [...env.globals.values()];
  let scan = 0;
  let more = false;
  let validating: GlobalFunc | undefined;
  const nextEntry = (): boolean => {
    if (validating !== undefined && logLevel >= 2)
      log.push(
        `Func#${validating.index} ('${validating.name}') is safe for any args that match its prototype`,
      );
    validating = undefined;
    for (;;) {
      for (; scan < globals.length; scan++) {
        const g = globals[scan]!;
        if (!called.has(g) || verified.has(g)) continue;
        verified.add(g);
        scan++;
        more = true;
        validating = g;
        if (logLevel >= 2) log.push(`Validating ${g.name}() func#${g.index}...`);
        pending.push({
          pc: g.slot,
          st: globalEntry(env, g),
          parent: undefined,
          trail: undefined,
          from: undefined,
        });
        return true;
      }
      if (!more) return false;
      more = false;
      scan = 0;
    }
  };

  // prepare_func_exit's widen_imprecise_scalars: a callback's return to its call widens the
  // scalars of the calling frame that no later check reads (precision.ts, stack-liveness.ts) and
  // that differ from the newest invocation still open there, so a counter the callback moves
  // converges instead of being walked once per value.
  const widenAtReturn = (st: State, call: number) => {
    const { newest } = openAt(explored[call] ?? NONE, current(st).returnTo);
    if (newest === undefined) return;
    const regs = precision!.precise[call]!;
    const slots = code.stackPrecise;
    widen(st, newest.state, {
      regs: regs | (regs >>> ZERO_SHIFT),
      lo: slots === undefined ? -1 : slots.lo[call]!,
      hi: slots === undefined ? -1 : slots.hi[call]!,
    });
    if (logLevel >= 2) log.push(`${call}: widened at the callback's return: ${formatState(st)}`);
  };

  for (;;) {
    if (pending.length === 0 && !nextEntry()) break;
    const path = pending.pop()!;
    if (logLevel >= 2 && path.from !== undefined)
      log.push(
        '',
        `from ${path.from} to ${path.pc}${path.st.speculative ? ' (speculative execution)' : ''}: ${formatState(path.st)}`,
      );
    if (trace && path.trail === undefined) {
      path.trail = { pc: path.pc, state: copyState(path.st), prev: undefined };
      if (logLevel >= 2) log.push(trailLine(path.trail));
    }
    for (;;) {
      const pc = path.pc;
      const st = path.st;
      try {
        if (++stats.processed > INSN_LIMIT)
          refuse('complexity', `BPF program is too large. Processed ${stats.processed} insn`, {
            hint: 'fewer paths: bound loops tightly, split the program with tail calls, or use bpf_loop',
          });
        let made: Explored | undefined;
        if (prunePoints[pc] === 1) {
          // The kernel's is_state_visited. A new checkpoint only after 2 jumps and 8 instructions
          // since the last; inside a loop (a state here is still open) after 20 or 100: iterations
          // differ and seldom prune each other.
          const force = callsCallback[pc] === 1;
          let addNew = force || (jumps - lastJumps >= 2 && stats.processed - lastInsns >= 8);
          const list = explored[pc] ?? NONE;
          const site = current(st).returnTo;
          const slots =
            code.stack === undefined || list.length === 0
              ? undefined
              : code.stackPrecise === undefined || precision === undefined
                ? { lo: code.stack.lo[pc]!, hi: code.stack.hi[pc]! }
                : {
                    lo: code.stack.lo[pc]!,
                    hi: code.stack.hi[pc]!,
                    preciseLo: code.stackPrecise.lo[pc]!,
                    preciseHi: code.stackPrecise.hi[pc]!,
                  };
          let fp: number | undefined;
          let pruned = false;
          for (let n = list.length - 1; n >= 0; n--) {
            const old = list[n]!;
            if (old.site !== site) continue;
            if (old.branches > 0 && !force) {
              // Hashed only for the loop check, the old state too at its first one.
              fp ??= fingerprint(st);
              if (Number.isNaN(old.fingerprint)) old.fingerprint = fingerprint(old.state);
              if (
                old.fingerprint === fp &&
                old.state.unroll === st.unroll &&
                statesEqual(old.state, st, live[pc]!, true)
              )
                refuse('termination', `infinite loop detected at insn ${pc}`, {
                  hint: 'the loop comes back to the same state: its exit condition never changes',
                });
              if (jumps - lastJumps < 20 && stats.processed - lastInsns < 100) addNew = false;
            } else if (
              force && old.branches > 0
                ? // An invocation still open at the call: the kernel compares RANGE_WITHIN (no
                  // precision; the open state is not cleaned, so every slot counts).
                  statesEqual(old.state, st, live[pc]!, false, -1, undefined, env.privileged)
                : statesEqual(
                    old.state,
                    st,
                    live[pc]!,
                    false,
                    precision === undefined
                      ? -1
                      : (old.bothEdges ? precision.undecided : precision.precise)[pc]!,
                    slots,
                    env.privileged,
                    caller,
                    env.exploreAluLimits,
                  )
            ) {
              old.hit += 1;
              pruned = true;
              break;
            }
            // A miss counts only where a checkpoint would be made (else a loop's iterations would
            // drop the states of its first ones); a state that keeps missing is dropped.
            if (addNew) old.miss += 1;
            // An open checkpoint of a callback's call is kept longer (iterations converge on it).
            const patience = force && old.branches > 0 ? 64 : 3;
            if (old.miss > old.hit * patience + patience) {
              list.splice(n, 1);
              alive -= 1;
            }
          }
          if (pruned) {
            if (logLevel >= 2) log.push(`${pc}: safe`);
            noteDepths(st);
            close(path.parent);
            break;
          }
          if (force) {
            // Invocations still open at this call: past WIDEN_AFTER, the changing scalars widen.
            const { open, newest } = openAt(list, site);
            if (open >= WIDEN_AFTER && newest !== undefined) {
              widen(st, newest.state);
              if (logLevel >= 2) log.push(`${pc}: widened after ${open} invocations: ${formatState(st)}`);
            }
          }
          if (addNew) {
            const e: Explored = {
              state: copyState(st),
              branches: 1,
              parent: path.parent,
              hit: 0,
              miss: 0,
              site,
              fingerprint: fp ?? Number.NaN,
              bothEdges: false,
            };
            made = e;
            if (list === NONE) explored[pc] = [e];
            else list.push(e);
            path.parent = e;
            lastJumps = jumps;
            lastInsns = stats.processed;
            stats.totalStates += 1;
            alive += 1;
            if (alive > stats.peakStates) stats.peakStates = alive;
            const here = list === NONE ? 1 : list.length;
            if (here > stats.maxStatesPerInsn) stats.maxStatesPerInsn = here;
          }
        }
        const i = at[pc]!;
        const k = kinds[pc]!;
        // A speculative path stops at a barrier (one a failure here put in, or a store's).
        if (st.speculative && env.nospec.has(pc)) {
          close(path.parent);
          break;
        }
        const before = trace ? current(st).regs.slice() : undefined;
        const fromCallback = k.kind === 'exit' && current(st).callback;
        if (k.kind === 'exit') noteDepths(st);
        step.state = undefined;
        step.jumpSt = undefined;
        step.called = undefined;
        executing = true;
        const next = execute(env, st, i, k, pc, step);
        executing = false;
        if (made !== undefined && k.kind === 'jmp') made.bothEdges = step.jumpSt !== undefined;
        if (k.kind === 'jmp' || k.kind === 'ja' || k.kind === 'exit' || k.kind === 'call') jumps += 1;
        if (trace) {
          path.trail = { pc, insn: i, changed: delta(before!, st), prev: path.trail };
          if (logLevel >= 2) log.push(trailLine(path.trail));
        }
        // Set by execute (the compiler narrows the field to its reset value).
        const callee = step.called as GlobalFunc | undefined;
        if (callee !== undefined) {
          called.add(callee);
          if (logLevel >= 2) log.push(`Func#${callee.index} ('${callee.name}') is global and assumed valid.`);
        }
        if (step.jumpSt !== undefined) {
          if (pending.length >= JMP_SEQ_LIMIT)
            refuse('complexity', `The sequence of ${JMP_SEQ_LIMIT + 1} jumps is too complex.`);
          if (path.parent !== undefined) path.parent.branches += 1;
          pending.push({
            pc: step.jumpPc,
            st: step.jumpSt,
            parent: path.parent,
            trail: path.trail,
            from: pc,
          });
        }
        if (next === END || (st.speculative && env.nospecResult.has(pc))) {
          noteDepths(st);
          close(path.parent);
          break;
        }
        path.pc = next;
        path.st = step.state ?? st;
        if (fromCallback && precision !== undefined) widenAtReturn(path.st, next);
      } catch (e) {
        // Under speculation, an unsafe instruction is fenced rather than refused (6.18's
        // error_recoverable_with_nospec: EPERM, EACCES, EINVAL): the path ends there.
        if (
          e instanceof Refusal &&
          executing &&
          st.speculative &&
          RECOVERABLE.has(verifierErrno(e.message))
        ) {
          executing = false;
          env.nospec.add(pc);
          env.aluSanitation.delete(pc);
          if (logLevel >= 2) log.push(trailLine({ pc, insn: at[pc]!, prev: path.trail }), e.message);
          noteDepths(st);
          close(path.parent);
          break;
        }
        executing = false;
        if (e instanceof Refusal) {
          noteDepths(st);
          const trail = trace ? { pc, insn: at[pc]!, prev: path.trail } : path.trail;
          const w = new WalkRefusal(e, pc, trail, stats, st);
          if (logLevel >= 2) {
            if (trail !== undefined) log.push(trailLine(trail));
            w.log = log;
          }
          throw w;
        }
        throw e;
      }
    }
  }

  return { stats, depths, log };
}

// The kernel's log names a helper `bpf_map_lookup_elem#1`; helperName() already carries the
// prefix, and gives `helper #N` for an id it does not know (printed then as the bare call).
const insnFormat = {
  numbers: 'kernel' as const,
  helperName: (id: number): string | undefined => {
    const n = helperName(id);
    return n.startsWith('bpf_') ? n : undefined;
  },
};

/** An instruction as the kernel's verifier log prints it. */
export function insnText(i: Instruction, pc: number): string {
  return formatInstruction(i, pc, insnFormat);
}

/** The registers an instruction changed (the kernel's log follows each line with them). */
function delta(before: readonly Reg[], st: State): (readonly [number, Reg])[] {
  const f = current(st);
  const changed: (readonly [number, Reg])[] = [];
  for (let r = 0; r < 11; r++) {
    const reg = f.regs[r]!;
    if (reg !== before[r] && reg.type !== 'not_init') changed.push([r, reg]);
  }
  return changed;
}

/**
 * What an instruction leaves besides the next slot (execute's return value): one object for the
 * whole walk, reset before each instruction, so that no result object is allocated per
 * instruction and the walk reads one shape.
 */
interface Step {
  /** A state replacing the current one (a branch's fall-through); undefined: the same state. */
  state: State | undefined;
  /** A second path to explore later (a branch's taken edge, a callback not called): its slot and state. */
  jumpPc: number;
  jumpSt: State | undefined;
  /** A global function this instruction called (on trust: the walk verifies it later). */
  called: GlobalFunc | undefined;
}

/** execute's value when the path ends (exit from the main frame, or no possible edge). */
const END = -1;

/** An unprivileged store to the stack that the JIT follows with a barrier (stack-slots.ts). */
const spectreV4 = (env: Env, st: State, dst: Reg, i: Instruction, bytes: number, value: Reg | undefined) =>
  !env.privileged && dst.type === 'fp' && storeNeedsBarrier(st, dst, i.off, bytes, value);

/**
 * A path the CPU may take only by mispredicting, for the walk to push (unprivileged loads): a
 * copy of `st` at `pc` whose current frame `change` adjusts.
 */
function speculate(st: State, pc: number, out: Step, change: (regs: Reg[]) => void): void {
  const s = copyState(st);
  change(current(s).regs);
  s.speculative = true;
  out.jumpPc = pc;
  out.jumpSt = s;
}

/**
 * A branch the verifier decided, in an unprivileged load: the CPU may still go the other way
 * until the condition resolves, so the kernel walks that edge too, with the compared registers
 * unknown (sanitize_speculative_path).
 */
function mispredicted(st: State, i: Instruction, k: JmpKind, pc: number, out: Step): void {
  speculate(st, pc, out, (regs) => {
    regs[i.dst] = UNKNOWN;
    if (k.reg) regs[i.src] = UNKNOWN;
  });
}

/** Walks one instruction: returns the next slot on this path (END when it ends), and sets `out`. */
function execute(env: Env, st: State, i: Instruction, k: Kind, pc: number, out: Step): number {
  const f = current(st);
  switch (k.kind) {
    case 'alu': {
      // `cond ? K : 0` as compilers write it: the kernel walks dst = -1 and dst = 0 apart.
      const d = f.regs[i.dst]!;
      const split =
        (k.op === 'and' || k.op === 'or') && k.alu64 && d.type === 'scalar'
          ? fork(k.op, d.value, k.reg ? f.regs[i.src]!.value : immediate(i.imm))
          : null;
      if (split !== null && (!k.reg || f.regs[i.src]!.type === 'scalar')) {
        const other = copyState(st);
        current(other).regs[i.dst] = scalarReg(split[1]);
        f.regs[i.dst] = scalarReg(split[0]);
        aluStep(env, f, i, k, pc, st.speculative);
        out.jumpPc = pc;
        out.jumpSt = other;
        return pc + 1;
      }
      // A pointer moved by a register: a mispredicted mask leaves it where it was.
      const masked = aluStep(env, f, i, k, pc, st.speculative);
      if (masked !== undefined)
        speculate(st, pc + 1, out, (regs) => {
          regs[i.dst] = masked;
        });
      return pc + 1;
    }
    case 'endian': {
      writableDst(i.dst);
      const dst = readReg(f, i.dst);
      if (isPointer(dst)) {
        if (!env.privileged) refuse('pointer-arithmetic', `R${i.dst} pointer arithmetic prohibited`);
        f.regs[i.dst] = UNKNOWN;
      } else f.regs[i.dst] = scalarReg(endian(k.order, k.bits, dst.value));
      return pc + 1;
    }
    case 'lddw':
      writableDst(i.dst);
      f.regs[i.dst] = lddwReg(env, i, k.pseudo, pc);
      return pc + 2;
    case 'load': {
      const src = readReg(f, i.src);
      writableDst(i.dst);
      noteAccess(env.proofs, pc, src, false);
      f.regs[i.dst] = checkAccess(
        env,
        st,
        src,
        access(i.src, i.off, k.bytes, false, undefined, false, k.signed, false),
      );
      return pc + 1;
    }
    case 'store': {
      const value = k.reg ? readReg(f, i.src) : scalarReg(immediate(i.imm));
      const dst = readReg(f, i.dst);
      noteAccess(env.proofs, pc, dst, true);
      const barrier = spectreV4(env, st, dst, i, k.bytes, k.reg ? value : undefined);
      checkAccess(
        env,
        st,
        dst,
        access(i.dst, i.off, k.bytes, true, value, !k.reg, false, false, k.reg ? i.src : -1),
      );
      if (barrier) env.nospecResult.add(pc);
      return pc + 1;
    }
    case 'atomic': {
      const src = readReg(f, i.src);
      if (k.op === 'cmpxchg') readReg(f, 0);
      const dst = readReg(f, i.dst);
      if (isPointer(src) && !env.privileged) refuse('memory-type', `R${i.src} leaks addr into mem`);
      noteAccess(env.proofs, pc, dst, true);
      // Read, then write, as the kernel's check_atomic.
      checkAccess(env, st, dst, access(i.dst, i.off, k.bytes, false, undefined, false, false, true));
      const barrier = spectreV4(env, st, dst, i, k.bytes, undefined);
      checkAccess(env, st, dst, access(i.dst, i.off, k.bytes, true, src, false, false, true, i.src));
      if (barrier) env.nospecResult.add(pc);
      if (k.fetch) {
        const r = k.op === 'cmpxchg' ? 0 : i.src;
        writableDst(r);
        f.regs[r] = scalarReg(k.bytes === 8 ? UNKNOWN.value : loadedU32());
      }
      return pc + 1;
    }
    case 'jmp': {
      const edges = branch(env, st, i, k);
      const target = targetOf(i, k, pc)!;
      if (edges.fall === undefined) {
        if (edges.jump === undefined) return END;
        if (!env.privileged) mispredicted(st, i, k, pc + 1, out);
        out.state = edges.jump;
        return target;
      }
      if (edges.jump === undefined && !env.privileged) mispredicted(st, i, k, target, out);
      out.state = edges.fall;
      if (edges.jump !== undefined) {
        out.jumpPc = target;
        out.jumpSt = edges.jump;
      }
      return pc + 1;
    }
    case 'ja':
      return targetOf(i, k, pc)!;
    case 'call': {
      if (k.target === 'kfunc') return kfuncCall(env, st, i, pc).next;
      if (k.target === 'local') {
        const target = targetOf(i, k, pc)!;
        const g = env.globals.get(target);
        if (g === undefined) return localCall(st, pc, target).next;
        globalCall(env, st, g);
        out.called = g;
        return pc + 1;
      }
      const called = helperCall(env, st, i, pc);
      // A callback's invocation: a path to walk later, whose exit comes back to this call.
      if (called.callback !== undefined) {
        out.jumpPc = called.callback.pc;
        out.jumpSt = called.callback.state;
      }
      return called.next;
    }
    case 'callx':
      return refuse('structure', `unknown opcode ${(i.op & 0xff).toString(16)}`);
    case 'exit':
      return exitFrame(env, st) ?? END;
    case 'ldpkt': {
      // may_access_skb: socket filters and tc programs only (cgroup skb programs have an
      // __sk_buff too, but not these loads).
      if (env.type !== 'SOCKET_FILTER' && env.type !== 'SCHED_CLS' && env.type !== 'SCHED_ACT')
        refuse('memory-type', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
      resourceLeak(st, 'BPF_LD_[ABS|IND]');
      const r6 = readReg(f, 6);
      if (r6.type !== 'ctx') refuse('memory-type', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
      if (k.indirect) readReg(f, i.src);
      for (let r = 1; r <= 5; r++) f.regs[r] = NOT_INIT;
      f.regs[0] = scalarReg(loadedBytes(k.bytes));
      return pc + 1;
    }
    default:
      return assertNever(k, 'instruction kind');
  }
}

const loadedU32 = () => loaded(4, false);
const loadedBytes = (n: 1 | 2 | 4) => loaded(n, false);

/** lddw: a constant, a map, a map value address, or a function address. */
function lddwReg(env: Env, i: Instruction, pseudo: number, pc: number): Reg {
  switch (pseudo) {
    case 0:
      return scalarReg(scalarConst(lddwValue(i)));
    case 1:
    case 5:
    case 2:
    case 6: {
      const name = i.reference ?? '';
      const spec = env.maps.get(name);
      if (spec === undefined) refuse('structure', `fd ${i.imm} is not pointing to valid bpf_map`);
      const map = { name, spec };
      if (pseudo === 1 || pseudo === 5) return pointer('map_ptr', { map });
      const off = i.hi ?? 0;
      if (spec.type !== 'ARRAY' || spec.maxEntries !== 1 || off < 0 || off >= spec.valueSize)
        refuse('structure', `invalid access to map value pointer, value_size=${spec.valueSize} off=${off}`);
      return pointer('map_value', { map, off });
    }
    case 4:
      return pointer('func', { target: pc + 1 + i.imm });
    case 3:
      throw new NotSupportedError('lddw of a BTF id (ksym) in the verifier');
    default:
      return refuse('structure', `invalid bpf_ld_imm64 insn`);
  }
}
