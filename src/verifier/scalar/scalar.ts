// A scalar register's abstract value as the kernel's bpf_reg_state keeps it: the known bits
// (tnum) and eight ranges — signed and unsigned, over 64 bits and over the low 32 bits. Each
// is a fact on its own; the value set is their intersection. `syncBounds` lets the facts teach
// each other (the kernel's reg_bounds_sync: __update_reg_bounds, __reg_deduce_bounds,
// __reg_bound_offset, Linux 6.18).
//
// Representation: immutable objects with bigint fields (signed fields hold signed values). The
// kernel's rules are wrapping u64/s64 arithmetic with overflow tests; with bigint each rule reads
// as the fact it states and can be checked against it line by line. The bounds sync, which runs
// after nearly every transfer function, is the exception: its rules run on (hi, lo) numbers
// (bounds-sync.ts), since bigint operations allocate and it dominated the verifier's time.

import { u32, u64 } from '../../isa/index.js';
import { syncBoundsInPlace } from './bounds-sync.js';
import {
  TNUM_UNKNOWN,
  type Tnum,
  tnumClearSubreg,
  tnumConst,
  tnumContains,
  tnumIn,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumSubreg,
} from './tnum.js';

export interface Scalar {
  /** Known bits of the 64-bit value. */
  readonly var: Tnum;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
}

/** A Scalar under construction by a transfer function (the kernel mutates its reg state too). */
export type MutableScalar = { -readonly [K in keyof Scalar]: Scalar[K] };

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
export const U32_MAX = 0xffffffffn;

export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The scalar that is exactly `value` (any bigint, taken modulo 2^64). */
export function scalarConst(value: bigint): Scalar {
  const v = u64(value);
  const lo = u32(v);
  return {
    var: tnumConst(v),
    smin: s64(v),
    smax: s64(v),
    umin: v,
    umax: v,
    s32min: s32(lo),
    s32max: s32(lo),
    u32min: lo,
    u32max: lo,
  };
}

/** Nothing known (the kernel's __mark_reg_unknown). */
export const SCALAR_UNKNOWN: Scalar = {
  var: TNUM_UNKNOWN,
  smin: S64_MIN,
  smax: S64_MAX,
  umin: 0n,
  umax: U64_MAX,
  s32min: S32_MIN,
  s32max: S32_MAX,
  u32min: 0n,
  u32max: U32_MAX,
};
export const scalarUnknown = (): Scalar => SCALAR_UNKNOWN;

/** An unsigned range [umin, umax] with its known bits (e.g. a zero-extending load of n bytes). */
export function scalarRange(umin: bigint, umax: bigint): Scalar {
  const r = mutable(SCALAR_UNKNOWN);
  r.umin = u64(umin);
  r.umax = u64(umax);
  r.var = tnumRange(r.umin, r.umax);
  return syncBounds(r);
}

/** The scalar is one known value (the kernel's tnum_is_const; the ranges then agree). */
export const isConstScalar = (s: Scalar): boolean => tnumIsConst(s.var);
/** Its low 32 bits are one known value. */
export const isConstScalar32 = (s: Scalar): boolean => u32(s.var.mask) === 0n;

/** Whether the concrete 64-bit value `x` satisfies every fact of `s`. */
export function scalarContains(s: Scalar, x: bigint): boolean {
  const v = u64(x);
  const sv = s64(v);
  const lo = u32(v);
  const slo = s32(lo);
  return (
    tnumContains(s.var, v) &&
    v >= s.umin &&
    v <= s.umax &&
    sv >= s.smin &&
    sv <= s.smax &&
    lo >= s.u32min &&
    lo <= s.u32max &&
    slo >= s.s32min &&
    slo <= s.s32max
  );
}

/** Nothing is known: every range full and every bit unknown (SCALAR_UNKNOWN's facts). */
function isUnknownScalar(s: Scalar): boolean {
  return (
    s.var.mask === U64_MAX &&
    s.umin === 0n &&
    s.umax === U64_MAX &&
    s.smin === S64_MIN &&
    s.smax === S64_MAX &&
    s.u32min === 0n &&
    s.u32max === U32_MAX &&
    s.s32min === S32_MIN &&
    s.s32max === S32_MAX
  );
}

/** Some range is empty or no value is left: the state stands for no value (a dead edge). */
export function scalarIsEmpty(s: Scalar): boolean {
  return s.umin > s.umax || s.smin > s.smax || s.u32min > s.u32max || s.s32min > s.s32max;
}

/** Every value of `cur` is a value of `old`: the kernel's regsafe for scalars (range_within and
 * tnum_in), used to prune a state already explored. */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  if (old === cur) return true;
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max &&
    tnumIn(old.var, cur.var)
  );
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  if (a === b) return true;
  return (
    a.var.value === b.var.value &&
    a.var.mask === b.var.mask &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max
  );
}

// --- Bounds sync (the rules run on numbers: bounds-sync.ts) ------------------------------------

/** A synced scalar by the facts it was synced from (the same few recur along a program's paths). */
interface Synced {
  readonly from: Scalar;
  readonly to: Scalar;
}
const synced = new Map<number, Synced[]>();
let syncedCount = 0;
/** Entries kept before the cache starts over. */
const SYNCED_MAX = 4096;

/**
 * A hash of the facts (Number() of a bigint allocates nothing; equal facts hash equal): the
 * known bits and the unsigned range tell most scalars apart, scalarEquals the rest.
 */
const factsHash = (r: Scalar): number =>
  Number(r.var.value) + 3 * Number(r.var.mask) + 5 * Number(r.umin) + 7 * Number(r.umax);

/** The kernel's reg_bounds_sync: every fact refined by the others. Returns `r`, or a shared
 * immutable scalar with the same facts (a constant, nothing known, one synced before). */
export function syncBounds(r: MutableScalar): Scalar {
  if (tnumIsConst(r.var)) {
    // One value: every range is that value (when they hold it; otherwise the state is dead and
    // the general path shows it).
    const c = scalarConst(r.var.value);
    if (scalarWithin(r, c)) return c;
  }
  // Nothing known: every rule below gives it back unchanged (a fixpoint), and it is common (the
  // result of div, mod, unknown shifts, sums of unknowns).
  if (isUnknownScalar(r)) return SCALAR_UNKNOWN;
  // The rules are a function of the facts: a scalar synced before gives its result again.
  const h = factsHash(r);
  const seen = synced.get(h);
  if (seen !== undefined) for (const e of seen) if (scalarEquals(e.from, r)) return e.to;
  // Copies spelled out (mutable), not spread: a spread object has another shape than every
  // other Scalar, and the code optimised for one deoptimises when the other reaches it.
  const from: Scalar = mutable(r);
  syncBoundsInPlace(r);
  if (++syncedCount > SYNCED_MAX) {
    synced.clear();
    syncedCount = 1;
  }
  const entry = { from, to: mutable(r) };
  if (seen !== undefined && synced.has(h)) seen.push(entry);
  else synced.set(h, [entry]);
  return r;
}

/** The zero-extension of a 32-bit result: the 64-bit facts become the 32-bit ones
 * (zext_32_to_64: tnum_subreg, then __reg_assign_32_into_64). */
export function zext32(r: MutableScalar): void {
  r.var = tnumSubreg(r.var);
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

export function markUnbounded64(r: MutableScalar): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

export function markUnbounded32(r: MutableScalar): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

/** Sets every fact to the constant `v` (___mark_reg_known). */
export function markKnown(r: MutableScalar, v: bigint): void {
  Object.assign(r, scalarConst(v));
}

/** Sets the low 32 bits' facts to the constant `v`, the upper tnum bits kept (__mark_reg32_known). */
export function markKnown32(r: MutableScalar, v: bigint): void {
  const lo = u32(v);
  r.var = tnumOr(tnumClearSubreg(r.var), tnumConst(lo));
  r.s32min = s32(lo);
  r.s32max = s32(lo);
  r.u32min = lo;
  r.u32max = lo;
}

/** A copy to change (spelled out: faster than a spread, and every transfer function makes one). */
export const mutable = (s: Scalar): MutableScalar => ({
  var: s.var,
  smin: s.smin,
  smax: s.smax,
  umin: s.umin,
  umax: s.umax,
  s32min: s.s32min,
  s32max: s.s32max,
  u32min: s.u32min,
  u32max: s.u32max,
});
