// The bounds sync (the kernel's reg_bounds_sync, Linux 6.18: __update_reg_bounds,
// __reg_deduce_bounds, __reg_bound_offset) on numbers. It runs after nearly every transfer
// function, and as bigint rules it allocated at every step (a third of the walk, most of the
// garbage). Here a scalar is loaded into one work area of 32-bit halves (each 64-bit field as
// unsigned lo and hi numbers, signed ones as their two's-complement bits, as the kernel's u64
// and s64 fields are; the 32-bit ranges as plain numbers), the rules run there, and only the
// fields that changed are turned back into bigints. The rules read as the kernel's: a signed
// comparison compares the high halves as int32, an unsigned one as uint32, then the low halves.

import type { MutableScalar } from './scalar.js';

// Work-area layout: lo at the index, hi at the index + 1 for the 64-bit fields.
const VAR_VALUE = 0;
const VAR_MASK = 2;
const SMIN = 4;
const SMAX = 6;
const UMIN = 8;
const UMAX = 10;
const S32MIN = 12;
const S32MAX = 13;
const U32MIN = 14;
const U32MAX = 15;
const FIELDS = 16;

/** The scalar being synced (the walk is single-threaded and sync is not re-entered). */
const w = new Float64Array(FIELDS);
/** The work area as loaded (unchanged fields keep their bigints) and before a deduce round. */
const loadedFrom = new Float64Array(FIELDS);
const beforeRound = new Float64Array(FIELDS);

const TWO32 = 2 ** 32;
const U64_ALL = (1n << 64n) - 1n;
const S64_LOW = -(1n << 63n);
const S64_HIGH = (1n << 63n) - 1n;
const lo32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
const hi32 = (v: bigint): number => Number(BigInt.asUintN(32, v >> 32n));
const join = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

/** Puts the 64-bit field `v` (signed or unsigned) at f as lo and hi uint32 halves. */
function put(f: number, v: bigint): void {
  // Most bounds are small or an extreme: Number() and comparisons allocate nothing, bigint
  // masks and shifts do.
  const n = Number(v);
  if (Number.isSafeInteger(n)) {
    const hi = Math.floor(n / TWO32);
    w[f] = n - hi * TWO32;
    w[f + 1] = hi >>> 0;
  } else if (v === U64_ALL) {
    w[f] = 0xffffffff;
    w[f + 1] = 0xffffffff;
  } else if (v === S64_LOW) {
    w[f] = 0;
    w[f + 1] = 0x80000000;
  } else if (v === S64_HIGH) {
    w[f] = 0xffffffff;
    w[f + 1] = 0x7fffffff;
  } else {
    w[f] = lo32(v);
    w[f + 1] = hi32(v);
  }
}

/** The unsigned value of halves (lo, hi); `signed`: as a two's-complement s64. */
function take(lo: number, hi: number, signed: boolean): bigint {
  if (hi < 0x200000) return BigInt(hi * TWO32 + lo);
  if (signed && hi >= 0xffe00000) return BigInt((hi - TWO32) * TWO32 + lo);
  return signed ? BigInt.asIntN(64, join(lo, hi)) : join(lo, hi);
}

function load(r: MutableScalar): void {
  put(VAR_VALUE, r.var.value);
  put(VAR_MASK, r.var.mask);
  put(SMIN, r.smin);
  put(SMAX, r.smax);
  put(UMIN, r.umin);
  put(UMAX, r.umax);
  w[S32MIN] = Number(r.s32min);
  w[S32MAX] = Number(r.s32max);
  w[U32MIN] = Number(r.u32min);
  w[U32MAX] = Number(r.u32max);
  loadedFrom.set(w);
}

const changed = (f: number, pair: boolean): boolean =>
  w[f] !== loadedFrom[f] || (pair && w[f + 1] !== loadedFrom[f + 1]);

function store(r: MutableScalar): void {
  if (changed(VAR_VALUE, true) || changed(VAR_MASK, true))
    r.var = {
      value: take(w[VAR_VALUE]!, w[VAR_VALUE + 1]!, false),
      mask: take(w[VAR_MASK]!, w[VAR_MASK + 1]!, false),
    };
  if (changed(SMIN, true)) r.smin = take(w[SMIN]!, w[SMIN + 1]!, true);
  if (changed(SMAX, true)) r.smax = take(w[SMAX]!, w[SMAX + 1]!, true);
  if (changed(UMIN, true)) r.umin = take(w[UMIN]!, w[UMIN + 1]!, false);
  if (changed(UMAX, true)) r.umax = take(w[UMAX]!, w[UMAX + 1]!, false);
  if (changed(S32MIN, false)) r.s32min = BigInt(w[S32MIN]!);
  if (changed(S32MAX, false)) r.s32max = BigInt(w[S32MAX]!);
  if (changed(U32MIN, false)) r.u32min = BigInt(w[U32MIN]!);
  if (changed(U32MAX, false)) r.u32max = BigInt(w[U32MAX]!);
}

// --- 64-bit values as (hi, lo) ---------------------------------------------------------------------

const cmpU = (ah: number, al: number, bh: number, bl: number): number => (ah !== bh ? ah - bh : al - bl);
const cmpS = (ah: number, al: number, bh: number, bl: number): number =>
  ah !== bh ? (ah | 0) - (bh | 0) : al - bl;

function set64(f: number, hi: number, lo: number): void {
  w[f] = lo;
  w[f + 1] = hi;
}
function raiseU(f: number, hi: number, lo: number): void {
  if (cmpU(hi, lo, w[f + 1]!, w[f]!) > 0) set64(f, hi, lo);
}
function lowerU(f: number, hi: number, lo: number): void {
  if (cmpU(hi, lo, w[f + 1]!, w[f]!) < 0) set64(f, hi, lo);
}
function raiseS(f: number, hi: number, lo: number): void {
  if (cmpS(hi, lo, w[f + 1]!, w[f]!) > 0) set64(f, hi, lo);
}
function lowerS(f: number, hi: number, lo: number): void {
  if (cmpS(hi, lo, w[f + 1]!, w[f]!) < 0) set64(f, hi, lo);
}
function raise32(f: number, v: number): void {
  if (v > w[f]!) w[f] = v;
}
function lower32(f: number, v: number): void {
  if (v < w[f]!) w[f] = v;
}

/** Bits 0..n set (n in 0..63), low and high halves. */
const upToLo = (n: number): number => (n >= 31 ? 0xffffffff : 2 ** (n + 1) - 1);
const upToHi = (n: number): number => (n >= 63 ? 0xffffffff : n >= 32 ? 2 ** (n - 31) - 1 : 0);

/** A tnum result of the helpers below (value and mask halves). */
let outValueLo = 0;
let outValueHi = 0;
let outMaskLo = 0;
let outMaskHi = 0;

/** tnum_range: the smallest tnum holding [min, max], the common high bits known (into out*). */
function range64(minHi: number, minLo: number, maxHi: number, maxLo: number): void {
  const xh = (minHi ^ maxHi) >>> 0;
  const xl = (minLo ^ maxLo) >>> 0;
  const bits = xh !== 0 ? 64 - Math.clz32(xh) : xl !== 0 ? 32 - Math.clz32(xl) : 0;
  if (bits > 63) {
    outValueLo = 0;
    outValueHi = 0;
    outMaskLo = 0xffffffff;
    outMaskHi = 0xffffffff;
    return;
  }
  outMaskLo = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  outMaskHi = bits > 32 ? 2 ** (bits - 32) - 1 : 0;
  outValueLo = (minLo & ~outMaskLo) >>> 0;
  outValueHi = (minHi & ~outMaskHi) >>> 0;
}

/** The next member result (tnumNextMember's, in halves). */
let nextLo = 0;
let nextHi = 0;

/**
 * The least member of the tnum (value v, mask m) that is >= z, into nextHi/nextLo; false when
 * none is. Above the highest known bit where z disagrees with the tnum the member follows z;
 * there it must rise above z, at that bit if the tnum has a 1 there, else at the lowest unknown
 * bit above it that z has 0; below, it takes the least fill (the known bits).
 */
function nextMember(vh: number, vl: number, mh: number, ml: number, zh: number, zl: number): boolean {
  if (cmpU(zh, zl, vh, vl) <= 0) {
    nextHi = vh;
    nextLo = vl;
    return true;
  }
  if (cmpU(zh, zl, (vh | mh) >>> 0, (vl | ml) >>> 0) > 0) return false;
  const dh = ((zh ^ vh) & ~mh) >>> 0;
  const dl = ((zl ^ vl) & ~ml) >>> 0;
  if (dh === 0 && dl === 0) {
    nextHi = zh;
    nextLo = zl;
    return true;
  }
  const h = dh !== 0 ? 63 - Math.clz32(dh) : 31 - Math.clz32(dl);
  const uh = upToHi(h);
  const ul = upToLo(h);
  const vHasH = h >= 32 ? (vh >>> (h - 32)) & 1 : (vl >>> h) & 1;
  if (vHasH !== 0) {
    nextHi = ((zh & ~uh) | (vh & uh)) >>> 0;
    nextLo = ((zl & ~ul) | (vl & ul)) >>> 0;
    return true;
  }
  const fh = (mh & ~zh & ~uh) >>> 0;
  const fl = (ml & ~zl & ~ul) >>> 0;
  if (fh === 0 && fl === 0) return false;
  const p = fl !== 0 ? 31 - Math.clz32(fl & -fl) : 63 - Math.clz32(fh & -fh);
  const ph = upToHi(p);
  const pl = upToLo(p);
  const bh = p >= 1 ? upToHi(p - 1) : 0;
  const bl = p >= 1 ? upToLo(p - 1) : 0;
  const bitHi = p >= 32 ? 2 ** (p - 32) : 0;
  const bitLo = p < 32 ? 2 ** p : 0;
  nextHi = ((zh & ~ph) | bitHi | (vh & bh)) >>> 0;
  nextLo = ((zl & ~pl) | bitLo | (vl & bl)) >>> 0;
  return true;
}

/** tnumNextMember's bigint face: the least member of (value, mask) >= z (0 <= z < 2^64). */
export function nextMemberOf(value: bigint, mask: bigint, z: bigint): bigint | undefined {
  const found = nextMember(hi32(value), lo32(value), hi32(mask), lo32(mask), hi32(z), lo32(z));
  return found ? join(nextLo, nextHi) : undefined;
}

/** nextMember of z + 1 (false when z + 1 is 2^64: no member is that large). */
function nextMemberAbove(vh: number, vl: number, mh: number, ml: number, zh: number, zl: number): boolean {
  if (zl !== 0xffffffff) return nextMember(vh, vl, mh, ml, zh, zl + 1);
  if (zh === 0xffffffff) return false;
  return nextMember(vh, vl, mh, ml, zh + 1, 0);
}

/** Every fact the constant (hi, lo) (___mark_reg_known). */
function markKnownW(hi: number, lo: number): void {
  set64(VAR_VALUE, hi, lo);
  set64(VAR_MASK, 0, 0);
  set64(SMIN, hi, lo);
  set64(SMAX, hi, lo);
  set64(UMIN, hi, lo);
  set64(UMAX, hi, lo);
  w[S32MIN] = lo | 0;
  w[S32MAX] = lo | 0;
  w[U32MIN] = lo;
  w[U32MAX] = lo;
}

// --- The rules ---------------------------------------------------------------------------------------

/** Ranges learn from the known bits: the least and greatest members of the tnum (32-bit). */
function updateBounds32W(): void {
  const tv = w[VAR_VALUE]!;
  const tm = w[VAR_MASK]!;
  raise32(S32MIN, tv | (tm & 0x80000000) | 0);
  lower32(S32MAX, tv | (tm & 0x7fffffff) | 0);
  raise32(U32MIN, tv);
  lower32(U32MAX, (tv | tm) >>> 0);
}

function updateBounds64W(): void {
  const vl = w[VAR_VALUE]!;
  const vh = w[VAR_VALUE + 1]!;
  const ml = w[VAR_MASK]!;
  const mh = w[VAR_MASK + 1]!;
  raiseS(SMIN, (vh | (mh & 0x80000000)) >>> 0, vl);
  lowerS(SMAX, (vh | (mh & 0x7fffffff)) >>> 0, (vl | ml) >>> 0);
  raiseU(UMIN, vh, vl);
  lowerU(UMAX, (vh | mh) >>> 0, (vl | ml) >>> 0);
  // The tnum and the unsigned range meet in one value: the register is that value. The three
  // cases are the kernel's (Linux 6.18, __update_reg64_bounds with tnum_step); they differ from
  // "exactly one member" only on an empty intersection (a dead edge), where the kernel keeps
  // the greatest member.
  if (mh === 0 && ml === 0) return;
  const tmaxHi = (vh | mh) >>> 0;
  const tmaxLo = (vl | ml) >>> 0;
  const uminLo = w[UMIN]!;
  const uminHi = w[UMIN + 1]!;
  const umaxLo = w[UMAX]!;
  const umaxHi = w[UMAX + 1]!;
  const uminIn = (uminHi & ~mh) >>> 0 === vh && (uminLo & ~ml) >>> 0 === vl;
  const found = nextMemberAbove(vh, vl, mh, ml, uminHi, uminLo);
  const nh = nextHi;
  const nl = nextLo;
  const nextAboveUmax = !found || cmpU(nh, nl, umaxHi, umaxLo) > 0;
  if (uminIn && nextAboveUmax) markKnownW(uminHi, uminLo);
  else if (!uminIn && found && nh === tmaxHi && nl === tmaxLo) markKnownW(tmaxHi, tmaxLo);
  else if (!uminIn && !nextAboveUmax) {
    const again = nextMemberAbove(vh, vl, mh, ml, nh, nl);
    if (!again || cmpU(nextHi, nextLo, umaxHi, umaxLo) > 0) markKnownW(nh, nl);
  }
}

/** 32-bit ranges learn from 64-bit ones and from each other (__reg32_deduce_bounds). */
function deduce32W(): void {
  const uminLo = w[UMIN]!;
  const uminHi = w[UMIN + 1]!;
  const umaxLo = w[UMAX]!;
  const umaxHi = w[UMAX + 1]!;
  const sminLo = w[SMIN]!;
  const sminHi = w[SMIN + 1]!;
  const smaxLo = w[SMAX]!;
  const smaxHi = w[SMAX + 1]!;
  // The upper halves of the 64-bit range are one value: its low halves bound the subregister.
  if (uminHi === umaxHi) {
    raise32(U32MIN, uminLo);
    lower32(U32MAX, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      raise32(S32MIN, uminLo | 0);
      lower32(S32MAX, umaxLo | 0);
    }
  }
  if (sminHi === smaxHi) {
    raise32(U32MIN, sminLo);
    lower32(U32MAX, smaxLo);
    if ((sminLo | 0) <= (smaxLo | 0)) {
      raise32(S32MIN, sminLo | 0);
      lower32(S32MAX, smaxLo | 0);
    }
  }
  // Upper halves differing by one, low halves crossing from negative to non-negative: the low
  // halves run over [S32_MIN..-1] then [0..S32_MAX] without a gap, a valid s32 range.
  if ((uminHi + 1) >>> 0 === umaxHi && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    raise32(S32MIN, uminLo | 0);
    lower32(S32MAX, umaxLo | 0);
  }
  if ((sminHi + 1) >>> 0 === smaxHi && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    raise32(S32MIN, sminLo | 0);
    lower32(S32MAX, smaxLo | 0);
  }
  // An unsigned range not crossing the sign bit is also a signed range, and conversely.
  if ((w[U32MIN]! | 0) <= (w[U32MAX]! | 0)) {
    raise32(S32MIN, w[U32MIN]! | 0);
    lower32(S32MAX, w[U32MAX]! | 0);
  }
  if (w[S32MIN]! >>> 0 <= w[S32MAX]! >>> 0) {
    raise32(U32MIN, w[S32MIN]! >>> 0);
    lower32(U32MAX, w[S32MAX]! >>> 0);
  } else if (w[U32MAX]! < w[S32MIN]! >>> 0) {
    // As for 64 bits: a wrapping signed range met by the unsigned one on one side only.
    w[S32MIN] = w[U32MIN]! | 0;
    lower32(U32MAX, w[S32MAX]! >>> 0);
  } else if (w[S32MAX]! >>> 0 < w[U32MIN]!) {
    w[S32MAX] = w[U32MAX]! | 0;
    raise32(U32MIN, w[S32MIN]! >>> 0);
  }
}

/** Signed and unsigned 64-bit ranges learn from each other (__reg64_deduce_bounds). */
function deduce64W(): void {
  if (cmpS(w[UMIN + 1]!, w[UMIN]!, w[UMAX + 1]!, w[UMAX]!) <= 0) {
    raiseS(SMIN, w[UMIN + 1]!, w[UMIN]!);
    lowerS(SMAX, w[UMAX + 1]!, w[UMAX]!);
  }
  if (cmpU(w[SMIN + 1]!, w[SMIN]!, w[SMAX + 1]!, w[SMAX]!) <= 0) {
    raiseU(UMIN, w[SMIN + 1]!, w[SMIN]!);
    lowerU(UMAX, w[SMAX + 1]!, w[SMAX]!);
  } else if (cmpU(w[UMAX + 1]!, w[UMAX]!, w[SMIN + 1]!, w[SMIN]!) < 0) {
    // The signed range wraps (negative part at the top of u64); the unsigned range meets only
    // its non-negative part.
    set64(SMIN, w[UMIN + 1]!, w[UMIN]!);
    lowerU(UMAX, w[SMAX + 1]!, w[SMAX]!);
  } else if (cmpU(w[SMAX + 1]!, w[SMAX]!, w[UMIN + 1]!, w[UMIN]!) < 0) {
    // ... or only its negative part.
    set64(SMAX, w[UMAX + 1]!, w[UMAX]!);
    raiseU(UMIN, w[SMIN + 1]!, w[SMIN]!);
  }
}

/** 64-bit ranges learn from the 32-bit ones (__reg_deduce_mixed_bounds). */
function deduceMixedW(): void {
  // The low half of any member lies in [u32min, u32max]: put it under the bounds' upper halves.
  raiseU(UMIN, w[UMIN + 1]!, w[U32MIN]!);
  lowerU(UMAX, w[UMAX + 1]!, w[U32MAX]!);
  raiseS(SMIN, w[SMIN + 1]!, w[U32MIN]!);
  lowerS(SMAX, w[SMAX + 1]!, w[U32MAX]!);
  // A 64-bit value within s32 with a non-negative low half is that low half (after a sign
  // extension, say). The 32-bit bounds are sign-extended into the 64-bit ones, as the kernel's
  // assignments of s32 to s64/u64 fields do.
  const s32min = w[S32MIN]!;
  const s32max = w[S32MAX]!;
  if (
    s32min >= 0 &&
    cmpS(w[SMIN + 1]!, w[SMIN]!, 0xffffffff, 0x80000000) >= 0 &&
    cmpS(w[SMAX + 1]!, w[SMAX]!, 0, 0x7fffffff) <= 0
  ) {
    const maxHi = s32max < 0 ? 0xffffffff : 0;
    set64(SMIN, 0, s32min);
    set64(SMAX, maxHi, s32max >>> 0);
    set64(UMIN, 0, s32min);
    set64(UMAX, maxHi, s32max >>> 0);
    range64(0, s32min, maxHi, s32max >>> 0);
    intersectVar(outValueHi, outValueLo, outMaskHi, outMaskLo);
  }
}

/** var = tnumIntersect(var, (value, mask)). */
function intersectVar(vh: number, vl: number, mh: number, ml: number): void {
  const muLo = (w[VAR_MASK]! & ml) >>> 0;
  const muHi = (w[VAR_MASK + 1]! & mh) >>> 0;
  set64(VAR_VALUE, ((w[VAR_VALUE + 1]! | vh) & ~muHi) >>> 0, ((w[VAR_VALUE]! | vl) & ~muLo) >>> 0);
  set64(VAR_MASK, muHi, muLo);
}

/** Known bits learn from the unsigned ranges (__reg_bound_offset). */
function boundOffsetW(): void {
  range64(w[UMIN + 1]!, w[UMIN]!, w[UMAX + 1]!, w[UMAX]!);
  intersectVar(outValueHi, outValueLo, outMaskHi, outMaskLo);
  // The low word also learns from the 32-bit range (the high word keeps the 64-bit result).
  range64(0, w[U32MIN]!, 0, w[U32MAX]!);
  const muLo = (w[VAR_MASK]! & outMaskLo) >>> 0;
  w[VAR_VALUE] = ((w[VAR_VALUE]! | outValueLo) & ~muLo) >>> 0;
  w[VAR_MASK] = muLo;
}

function deduceRounds(): void {
  // Three rounds, as the kernel does: a fact learnt late in one round feeds an early rule of
  // the next (64-bit signed wrap → 64-bit range → 32-bit range). A round that changes nothing
  // ends them early: the rounds are deterministic, so later ones would change nothing either.
  for (let round = 0; round < 3; round++) {
    beforeRound.set(w);
    deduce32W();
    deduce64W();
    deduceMixedW();
    let same = true;
    for (let f = 0; f < FIELDS && same; f++) same = w[f] === beforeRound[f];
    if (same) break;
  }
}

// --- Entries on bigint scalars (each loads, runs its rules, stores what changed) ----------------

export function updateBounds32(r: MutableScalar): void {
  load(r);
  updateBounds32W();
  store(r);
}

export function updateBounds64(r: MutableScalar): void {
  load(r);
  updateBounds64W();
  store(r);
}

export function updateBounds(r: MutableScalar): void {
  load(r);
  updateBounds32W();
  updateBounds64W();
  store(r);
}

export function deduceBounds(r: MutableScalar): void {
  load(r);
  deduce32W();
  deduce64W();
  deduceMixedW();
  store(r);
}

export function boundOffset(r: MutableScalar): void {
  load(r);
  boundOffsetW();
  store(r);
}

/** reg_bounds_sync's rules in order: bounds from the tnum, three deduce rounds, the tnum from
 * the bounds, bounds from the tnum again. */
export function syncBoundsInPlace(r: MutableScalar): void {
  load(r);
  updateBounds32W();
  updateBounds64W();
  deduceRounds();
  boundOffsetW();
  updateBounds32W();
  updateBounds64W();
  store(r);
}
