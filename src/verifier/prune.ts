// State comparison at prune points (the kernel's states_equal / regsafe / stacksafe): a path may
// stop where an earlier, fully explored state at the same slot covers it — every register the
// rest of the program may read holds, in the old state, a superset of what it holds now. Ids
// are compared through a map (old id → current id), as the kernel's idmap does. `exact` asks for
// equality instead: an in-progress state equal to the current one is an infinite loop.

import { constOf, type Scalar, sameScalar, within } from './num.js';
import { ZERO_SHIFT } from './precision.js';
import { Byte, type Frame, isPacket, type Reg, type Slot, type State } from './state.js';

/** The live stack slots of the current frame at a prune point (bit k of lo: slot k; of hi: slot 32 + k). */
export interface StackLive {
  readonly lo: number;
  readonly hi: number;
  /** Of those, the slots whose spilled scalar's value may matter (same bits); absent: all. */
  readonly preciseLo?: number;
  readonly preciseHi?: number;
}

/** A register spilled whole that is a scalar (the kernel's is_spilled_scalar_reg64). */
export const scalarSpill64 = (s: Slot): boolean =>
  s.spilled?.type === 'scalar' && s.dynptr === undefined && s.bytes.every((b) => b === Byte.Spill);

/** Every byte misc (an uninitialised one too where loads may read it): a load gives an unbound scalar. */
const allMisc = (s: Slot, uninit: boolean): boolean =>
  s.spilled === undefined &&
  s.dynptr === undefined &&
  s.bytes.every((b) => b === Byte.Misc || (uninit && b === Byte.Invalid));

/** r6-r10 of a caller: a return sets its r0 and clears r1-r5, so only these survive a call. */
export const CALLER_LIVE = 0x7c0;

class IdMap {
  /**
   * Scalars compare exactly (the kernel's explore_alu_limits: an unprivileged program masked a
   * variable pointer offset, and another path may need another mask).
   */
  constructor(readonly scalarsExact = false) {}
  private map: Map<number, number> | undefined;
  private back: Map<number, number> | undefined;
  check(old: number, cur: number): boolean {
    if (old === 0 && cur === 0) return true;
    this.map ??= new Map();
    this.back ??= new Map();
    const m = this.map.get(old);
    if (m !== undefined) return m === cur;
    if (this.back.has(cur)) return false;
    this.map.set(old, cur);
    this.back.set(cur, old);
    return true;
  }
}

/** The scalar's low 32 bits are a known 0 (its tnum's value and mask both 0 there). */
const low32Zero = (v: Scalar): boolean =>
  (v.var.value & 0xffffffffn) === 0n && (v.var.mask & 0xffffffffn) === 0n;

/** `zero`: only whether the scalar is zero may matter (precision.ts), when not `precise`. */
function regSafe(old: Reg, cur: Reg, ids: IdMap, exact: boolean, precise = true, zero = false): boolean {
  // Registers are immutable: one object on both sides is equal (its ids map to themselves).
  if (old === cur && old.id === 0 && old.ref === 0) return true;
  if (old.type === 'not_init') return exact ? cur.type === 'not_init' : true;
  if (old.type !== cur.type) return false;
  // A scalar whose value no later check reads: any scalar will do (regsafe on !rold->precise);
  // one that only a later stack store tests for zero: any, unless the old one is zero.
  if (old.type === 'scalar' && ids.scalarsExact)
    return sameScalar(old.value, cur.value) && ids.check(old.id, cur.id);
  if (old.type === 'scalar' && !precise && !exact && !(zero && low32Zero(old.value))) return true;
  const values = exact ? sameScalar(old.value, cur.value) : within(old.value, cur.value);
  if (!values) return false;
  if (old.type === 'scalar') return true;
  if (old.off !== cur.off || old.map?.name !== cur.map?.name || old.frame !== cur.frame) return false;
  if (old.target !== cur.target || old.memSize !== cur.memSize) return false;
  if (isPacket(old.type)) {
    // A larger proven range now is fine; a variable offset must come from the same family.
    // AT_PKT_END and BEYOND_PKT_END only match themselves (they decide later comparisons).
    if (exact || old.range < 0 || cur.range < 0 ? old.range !== cur.range : old.range > cur.range)
      return false;
    if (constOf(old.value) !== 0n && !ids.check(old.id, cur.id)) return false;
    return true;
  }
  return ids.check(old.id, cur.id) && ids.check(old.ref, cur.ref);
}

/** `precise`: the value of a scalar spilled here may matter (else any scalar will do, as regsafe). */
function slotSafe(
  old: Slot,
  cur: Slot,
  ids: IdMap,
  exact: boolean,
  uninit: boolean,
  precise = true,
): boolean {
  // An imprecise scalar spilled whole covers any scalar spilled whole and all-misc bytes
  // (stacksafe's scalar_reg_for_stack, then regsafe on !rold->precise).
  if (!precise && !exact && scalarSpill64(old)) return scalarSpill64(cur) || allMisc(cur, uninit);
  // A dynptr half matches the same half of a dynptr of the same type (stacksafe's STACK_DYNPTR).
  if (old.dynptr !== undefined || cur.dynptr !== undefined) {
    const o = old.dynptr;
    const c = cur.dynptr;
    if (o === undefined) return !exact && old.bytes.every((b) => b === Byte.Invalid);
    return (
      c !== undefined &&
      o.kind === c.kind &&
      o.first === c.first &&
      ids.check(o.id, c.id) &&
      ids.check(o.ref, c.ref)
    );
  }
  if (old === cur && (old.spilled === undefined || (old.spilled.id === 0 && old.spilled.ref === 0)))
    return true;
  if (old.spilled !== undefined) {
    // A narrow spill too: an imprecise scalar covers any (stacksafe's regsafe on STACK_SPILL).
    if (cur.spilled === undefined || !regSafe(old.spilled, cur.spilled, ids, exact, precise)) return false;
    // A narrow spill (stack-slots.ts) leaves the slot's other bytes as they were: compared below.
  } else if (cur.spilled !== undefined && exact) return false;
  for (let b = 0; b < 8; b++) {
    const o = old.bytes[b]!;
    const c = cur.bytes[b]!;
    if (exact ? o !== c : !byteSafe(o, c, cur, uninit)) return false;
  }
  return true;
}

/**
 * An old byte covers the current one. `uninit`: a privileged load, which reads an uninitialised
 * byte as misc (check_stack_read_fixed_off, check_stack_range_initialized with
 * allow_uninit_stack): stacksafe then lets an old STACK_MISC byte cover anything; here only an
 * uninitialised one besides those that read as a scalar.
 */
function byteSafe(o: Byte, c: Byte, cur: Slot, uninit: boolean): boolean {
  if (o === Byte.Invalid) return true;
  if (o === Byte.Misc)
    return (
      c === Byte.Misc ||
      c === Byte.Zero ||
      (c === Byte.Invalid && uninit) ||
      (c === Byte.Spill && cur.spilled?.type === 'scalar')
    );
  return o === c;
}

function frameSafe(
  old: Frame,
  cur: Frame,
  live: number,
  precise: number,
  slots: StackLive | undefined,
  ids: IdMap,
  exact: boolean,
  uninit: boolean,
): boolean {
  if (old.returnTo !== cur.returnTo || old.subprogram !== cur.subprogram) return false;
  // An earlier bpf_loop invocation does not cover a later one's state (func_states_equal).
  if (old.callbackDepth > cur.callbackDepth) return false;
  for (let r = 0; r < 11; r++) {
    if (((live >> r) & 1) === 0 && !exact) continue;
    const full = ((precise >> r) & 1) !== 0;
    const zero = ((precise >> (ZERO_SHIFT + r)) & 1) !== 0;
    if (!regSafe(old.regs[r]!, cur.regs[r]!, ids, exact, full, zero)) return false;
  }
  // Slots past both depths were never written (Frame.depth): EMPTY_SLOT on both sides.
  const used = Math.min(old.stack.length, Math.ceil(Math.max(old.depth, cur.depth) / 8));
  for (let k = 0; k < used; k++) {
    // A slot no path reads before overwriting it cannot matter (stack-liveness.ts).
    if (slots !== undefined && !exact && (((k < 32 ? slots.lo : slots.hi) >> (k & 31)) & 1) === 0) continue;
    const mask = slots === undefined ? undefined : k < 32 ? slots.preciseLo : slots.preciseHi;
    const precise = mask === undefined || ((mask >> (k & 31)) & 1) === 1;
    if (!slotSafe(old.stack[k]!, cur.stack[k]!, ids, exact, uninit, precise)) return false;
  }
  return true;
}

/** What of a caller's frame may still be read: its registers, their precision, its stack slots. */
export interface CallerLive {
  readonly regs: number;
  /** As `precise` of statesEqual; -1: all. */
  readonly precise: number;
  /** Undefined: all. */
  readonly slots: StackLive | undefined;
}

/** Without a liveness answer: the registers that survive a call, all precise, every slot. */
const CALLER_ALL: CallerLive = { regs: CALLER_LIVE, precise: -1, slots: undefined };

/**
 * Whether `cur` is covered by `old` (or equal to it, `exact`). `live` holds the registers the
 * current frame may still read (bit r), from the static liveness pass; `precise` those of its
 * scalars whose values a later check may read (precision.ts, with those whose zero-ness only may
 * matter in bits ZERO_SHIFT+; -1: all); `slots` its stack slots
 * that may be read (stack-liveness.ts; undefined: all); `uninit` whether loads may read
 * uninitialised stack (privileged). `caller` gives the same of frame k below the current one (of
 * the current state); without it, caller frames compare every register that survives a call and
 * every slot.
 */
export function statesEqual(
  old: State,
  cur: State,
  live: number,
  exact: boolean,
  precise = -1,
  slots?: StackLive,
  uninit = false,
  caller?: (cur: State, frame: number, live: number) => CallerLive,
  scalarsExact = false,
): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  if (old.locked !== cur.locked || old.rcu !== cur.rcu) return false;
  // A speculative path's state covers no architectural one (states_equal).
  if (old.speculative && !cur.speculative) return false;
  const ids = new IdMap(scalarsExact);
  const top = old.frames.length - 1;
  for (let k = 0; k <= top; k++) {
    const c = k === top ? undefined : (caller?.(cur, k, live) ?? CALLER_ALL);
    const regs = c === undefined ? live : c.regs;
    const p = c === undefined ? precise : c.precise;
    const liveSlots = c === undefined ? slots : c.slots;
    if (!frameSafe(old.frames[k]!, cur.frames[k]!, regs, p, liveSlots, ids, exact, uninit)) return false;
  }
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id, cur.refs[k]!.id)) return false;
  return true;
}
