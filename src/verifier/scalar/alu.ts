// Transfer functions of ALU and ALU64 instructions on scalars, with the kernel's precision
// (Linux 6.18, kernel/bpf/verifier.c: adjust_scalar_min_max_vals, check_alu_op for mov/movsx,
// coerce_reg_to_size(_sx)). The kernel tracks add, sub, neg, mul, and, or, xor, and shifts by a
// constant in range; every other operation (div, sdiv, mod, smod, a shift by an unknown or
// out-of-range amount) makes the whole 64-bit register unknown — even in the 32-bit form, since the
// kernel gives up before it zero-extends. A 32-bit result is zero-extended into 64 bits.
// The immediate form passes its operand as scalarConst(sign-extended imm), as the kernel does.

import { assertNever, InvalidInstructionError } from '../../errors.js';
import { type AluOp, u32, u64 } from '../../isa/index.js';
import { updateBounds, updateBounds32 } from './bounds-sync.js';
import {
  type MutableScalar,
  markKnown,
  markKnown32,
  markUnbounded32,
  markUnbounded64,
  max,
  min,
  mutable,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  SCALAR_UNKNOWN,
  type Scalar,
  s32,
  s64,
  scalarConst,
  syncBounds,
  U32_MAX,
  U64_MAX,
  zext32,
} from './scalar.js';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap,
  tnumCast,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from './tnum.js';

/** Result of an ALU instruction `dst op= src` (`src` ignored by neg; `ext` the movsx width). */
export function aluScalar(op: AluOp, is64: boolean, dst: Scalar, src: Scalar, ext?: 8 | 16 | 32): Scalar {
  switch (op) {
    case 'mov':
      return movScalar(is64, src);
    case 'movsx':
      if (ext === undefined)
        throw new InvalidInstructionError('movsx needs its source width (8, 16 or 32)', { field: 'off' });
      return movsxScalar(is64, ext, src);
    case 'neg':
      // Tracked as 0 - dst, with the tnum of the negation.
      return arith('neg', is64, dst, dst);
    case 'add':
    case 'sub':
    case 'mul':
    case 'and':
    case 'or':
    case 'xor':
    case 'lsh':
    case 'rsh':
    case 'arsh':
      return arith(op, is64, dst, src);
    case 'div':
    case 'sdiv':
    case 'mod':
    case 'smod':
      return SCALAR_UNKNOWN;
    default:
      return assertNever(op, 'ALU op');
  }
}

/**
 * Byte order (BPF_END). On a little-endian host `le` only truncates to `bits`; `be` and `bswap`
 * reverse the bytes: the known bits move with them and the ranges are rebuilt from the tnum alone
 * (the kernel's 6.18 log shows bounds that are exactly the swapped tnum's).
 */
export function endianScalar(order: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64, dst: Scalar): Scalar {
  if (order === 'le') return bits === 64 ? dst : truncateScalar(dst, (bits / 8) as 2 | 4);
  const r = mutable(SCALAR_UNKNOWN);
  r.var = tnumBswap(dst.var, bits);
  return syncBounds(r);
}

/** The operand is one known value over the operation's width (ranges agreeing with the tnum). */
function srcIsConst(src: Scalar, is64: boolean): boolean {
  return is64
    ? tnumIsConst(src.var) && src.smin === src.smax && src.umin === src.umax
    : tnumSubregIsConst(src.var) && src.s32min === src.s32max && src.u32min === src.u32max;
}

type Tracked = 'add' | 'sub' | 'neg' | 'mul' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';

function arith(op: Tracked, is64: boolean, dst: Scalar, src: Scalar): Scalar {
  const isShift = op === 'lsh' || op === 'rsh' || op === 'arsh';
  // Shifts are tracked only by a known amount below the width (is_safe_to_compute_dst_reg_range
  // tests the 64-bit umax even for the 32-bit form).
  if (isShift && !(srcIsConst(src, is64) && src.umax < (is64 ? 64n : 32n))) return SCALAR_UNKNOWN;
  const r = mutable(dst);
  switch (op) {
    case 'add':
      add32(r, src);
      add64(r, src);
      r.var = tnumAdd(dst.var, src.var);
      break;
    case 'sub':
      sub32(r, src);
      sub64(r, src);
      r.var = tnumSub(dst.var, src.var);
      break;
    case 'neg': {
      const zero = mutable(scalarConst(0n));
      sub32(zero, dst);
      sub64(zero, dst);
      zero.var = tnumNeg(dst.var);
      Object.assign(r, zero);
      break;
    }
    case 'mul':
      r.var = tnumMul(dst.var, src.var);
      mul32(r, src);
      mul64(r, src);
      break;
    case 'and':
      r.var = tnumAnd(dst.var, src.var);
      bitwise32('and', r, src);
      if (bitwise64('and', r, src) && !is64) updateBounds(r);
      break;
    case 'or':
      r.var = tnumOr(dst.var, src.var);
      bitwise32('or', r, src);
      if (bitwise64('or', r, src) && !is64) updateBounds(r);
      break;
    case 'xor':
      r.var = tnumXor(dst.var, src.var);
      bitwise32('xor', r, src);
      if (bitwise64('xor', r, src) && !is64) updateBounds(r);
      break;
    case 'lsh':
      if (is64) lsh64(r, src.umin, src.umax);
      else lsh32(r, src.u32min, src.u32max);
      break;
    case 'rsh':
      if (is64) rsh64(r, src.umin, src.umax);
      else rsh32(r, src.u32min, src.u32max);
      break;
    case 'arsh':
      if (is64) arsh64(r, src.umin);
      else arsh32(r, src.u32min);
      break;
    default:
      assertNever(op, 'tracked ALU op');
  }
  // The kernel ends the 64-bit bitwise ops and shifts with __update_reg_bounds, which is also
  // the first step of the reg_bounds_sync that follows (syncBounds), and gives the same facts
  // twice over: here only a 32-bit operation runs it before its zero-extension.
  if (!is64) zext32(r);
  return syncBounds(r);
}

// --- add / sub: a bound is the bound of the sum unless only some sums wrap -------------------------

function add32(r: MutableScalar, src: Scalar): void {
  const smin = r.s32min + src.s32min;
  const smax = r.s32max + src.s32max;
  if (smin !== s32(smin) || smax !== s32(smax)) {
    r.s32min = S32_MIN;
    r.s32max = S32_MAX;
  } else {
    r.s32min = smin;
    r.s32max = smax;
  }
  // All sums wrap or none: the wrapped bounds still order the results.
  const umin = r.u32min + src.u32min;
  const umax = r.u32max + src.u32max;
  if (umin <= U32_MAX && umax > U32_MAX) {
    r.u32min = 0n;
    r.u32max = U32_MAX;
  } else {
    r.u32min = u32(umin);
    r.u32max = u32(umax);
  }
}

function add64(r: MutableScalar, src: Scalar): void {
  const smin = r.smin + src.smin;
  const smax = r.smax + src.smax;
  if (smin !== s64(smin) || smax !== s64(smax)) {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  } else {
    r.smin = smin;
    r.smax = smax;
  }
  const umin = r.umin + src.umin;
  const umax = r.umax + src.umax;
  if (umin <= U64_MAX && umax > U64_MAX) {
    r.umin = 0n;
    r.umax = U64_MAX;
  } else {
    r.umin = u64(umin);
    r.umax = u64(umax);
  }
}

function sub32(r: MutableScalar, src: Scalar): void {
  const smin = r.s32min - src.s32max;
  const smax = r.s32max - src.s32min;
  if (smin !== s32(smin) || smax !== s32(smax)) {
    r.s32min = S32_MIN;
    r.s32max = S32_MAX;
  } else {
    r.s32min = smin;
    r.s32max = smax;
  }
  const umin = r.u32min - src.u32max;
  const umax = r.u32max - src.u32min;
  if (umin < 0n && umax >= 0n) {
    r.u32min = 0n;
    r.u32max = U32_MAX;
  } else {
    r.u32min = u32(umin);
    r.u32max = u32(umax);
  }
}

function sub64(r: MutableScalar, src: Scalar): void {
  const smin = r.smin - src.smax;
  const smax = r.smax - src.smin;
  if (smin !== s64(smin) || smax !== s64(smax)) {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  } else {
    r.smin = smin;
    r.smax = smax;
  }
  const umin = r.umin - src.umax;
  const umax = r.umax - src.umin;
  if (umin < 0n && umax >= 0n) {
    r.umin = 0n;
    r.umax = U64_MAX;
  } else {
    r.umin = u64(umin);
    r.umax = u64(umax);
  }
}

// --- mul: bounds of the products when none can overflow ------------------------------------------

function mul32(r: MutableScalar, src: Scalar): void {
  const umax = r.u32max * src.u32max;
  if (umax > U32_MAX) {
    r.u32min = 0n;
    r.u32max = U32_MAX;
  } else {
    r.u32min = r.u32min * src.u32min;
    r.u32max = umax;
  }
  const p = [r.s32min * src.s32min, r.s32min * src.s32max, r.s32max * src.s32min, r.s32max * src.s32max];
  if (p.some((x) => x !== s32(x))) {
    r.s32min = S32_MIN;
    r.s32max = S32_MAX;
  } else {
    r.s32min = p.reduce(min);
    r.s32max = p.reduce(max);
  }
}

function mul64(r: MutableScalar, src: Scalar): void {
  const umax = r.umax * src.umax;
  if (umax > U64_MAX) {
    r.umin = 0n;
    r.umax = U64_MAX;
  } else {
    r.umin = r.umin * src.umin;
    r.umax = umax;
  }
  const p = [r.smin * src.smin, r.smin * src.smax, r.smax * src.smin, r.smax * src.smax];
  if (p.some((x) => x !== s64(x))) {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  } else {
    r.smin = p.reduce(min);
    r.smax = p.reduce(max);
  }
}

// --- and / or / xor: unsigned bounds from the result's known bits ----------------------------------
// The kernel tests the operand and the result's tnum (dst's var_off already replaced): both
// known means the result is one value.
function bitwise32(op: 'and' | 'or' | 'xor', r: MutableScalar, src: Scalar): void {
  const t = tnumSubreg(r.var);
  if (tnumSubregIsConst(src.var) && tnumSubregIsConst(t)) {
    markKnown32(r, t.value);
    return;
  }
  if (op === 'and') {
    r.u32min = t.value;
    r.u32max = min(r.u32max, src.u32max);
  } else if (op === 'or') {
    r.u32min = max(r.u32min, src.u32min);
    r.u32max = t.value | t.mask;
  } else {
    r.u32min = t.value;
    r.u32max = t.value | t.mask;
  }
  // Unsigned bounds not crossing the sign bit are signed bounds too.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = s32(r.u32min);
    r.s32max = s32(r.u32max);
  } else {
    r.s32min = S32_MIN;
    r.s32max = S32_MAX;
  }
}

/** False when the result is one known value (then nothing is left for __update_reg_bounds). */
function bitwise64(op: 'and' | 'or' | 'xor', r: MutableScalar, src: Scalar): boolean {
  const t = r.var;
  if (tnumIsConst(src.var) && tnumIsConst(t)) {
    markKnown(r, t.value);
    return false;
  }
  if (op === 'and') {
    r.umin = t.value;
    r.umax = min(r.umax, src.umax);
  } else if (op === 'or') {
    r.umin = max(r.umin, src.umin);
    r.umax = t.value | t.mask;
  } else {
    r.umin = t.value;
    r.umax = t.value | t.mask;
  }
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = s64(r.umin);
    r.smax = s64(r.umax);
  } else {
    r.smin = S64_MIN;
    r.smax = S64_MAX;
  }
  return true;
}

// --- shifts by a known amount ---------------------------------------------------------------------

function lsh32Bounds(r: MutableScalar, umin: bigint, umax: bigint): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  // A value whose top bit may be shifted out leaves nothing known of the range.
  if (umax > 31n || r.u32max > 1n << (31n - umax)) {
    r.u32min = 0n;
    r.u32max = U32_MAX;
  } else {
    r.u32min = u32(r.u32min << umin);
    r.u32max = u32(r.u32max << umax);
  }
}

function lsh32(r: MutableScalar, umin: bigint, umax: bigint): void {
  const sub = tnumSubreg(r.var);
  lsh32Bounds(r, umin, umax);
  r.var = tnumSubreg(tnumLshift(sub, Number(umin)));
  markUnbounded64(r);
  updateBounds32(r);
}

function lsh64(r: MutableScalar, umin: bigint, umax: bigint): void {
  // `<< 32` (how compilers start a sign extension) puts the low word on top: the signed range
  // is the subregister's, times 2^32 (Linux 6.18 keeps it for negative ranges too).
  const by32 = umin === 32n && umax === 32n;
  const smax = by32 ? r.s32max << 32n : S64_MAX;
  const smin = by32 ? r.s32min << 32n : S64_MIN;
  if (r.umax > 1n << (63n - umax)) {
    r.umin = 0n;
    r.umax = U64_MAX;
  } else {
    r.umin = u64(r.umin << umin);
    r.umax = u64(r.umax << umax);
  }
  r.smin = smin;
  r.smax = smax;
  lsh32Bounds(r, umin, umax);
  r.var = tnumLshift(r.var, Number(umin));
}

function rsh32(r: MutableScalar, umin: bigint, umax: bigint): void {
  const sub = tnumSubreg(r.var);
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.var = tnumRshift(sub, Number(umin));
  r.u32min >>= umax;
  r.u32max >>= umin;
  markUnbounded64(r);
  updateBounds32(r);
}

function rsh64(r: MutableScalar, umin: bigint, umax: bigint): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.var = tnumRshift(r.var, Number(umin));
  r.umin >>= umax;
  r.umax >>= umin;
  markUnbounded32(r);
}

function arsh32(r: MutableScalar, shift: bigint): void {
  r.s32min >>= shift;
  r.s32max >>= shift;
  r.var = tnumArshift(tnumSubreg(r.var), Number(shift), 32);
  r.u32min = 0n;
  r.u32max = U32_MAX;
  markUnbounded64(r);
  updateBounds32(r);
}

function arsh64(r: MutableScalar, shift: bigint): void {
  r.smin >>= shift;
  r.smax >>= shift;
  r.var = tnumArshift(r.var, Number(shift), 64);
  r.umin = 0n;
  r.umax = U64_MAX;
  markUnbounded32(r);
}

// --- mov and movsx ----------------------------------------------------------------------------------

function movScalar(is64: boolean, src: Scalar): Scalar {
  if (is64) return src;
  const r = mutable(src);
  zext32(r);
  return syncBounds(r);
}

function movsxScalar(is64: boolean, bits: 8 | 16 | 32, src: Scalar): Scalar {
  if (is64) return signExtend64(src, bits / 8);
  if (bits === 32)
    throw new InvalidInstructionError('32-bit movsx sign-extends 8 or 16 bits, not 32', { field: 'off' });
  const r = mutable(signExtend32(src, bits / 8));
  zext32(r);
  return syncBounds(r);
}

const sext = (v: bigint, bytes: number): bigint => BigInt.asIntN(bytes * 8, v);

/** The kernel's coerce_reg_to_size_sx: the low `bytes` sign-extended to 64 bits. */
export function signExtend64(src: Scalar, bytes: number): Scalar {
  if (tnumIsConst(src.var)) return scalarConst(sext(src.var.value, bytes));
  const bits = BigInt(bytes * 8);
  const limit = 1n << (bits - 1n);
  if (src.s32min >= -limit && src.s32max < limit) {
    // The low word already is its low `bytes` sign-extended: the result is the low word
    // sign-extended to 64 bits. The kernel (6.18, as its log shows) keeps the 32-bit ranges,
    // takes the signed 64-bit range from them, and forgets the known bits (the sync rebuilds
    // them from the ranges).
    const w = mutable(SCALAR_UNKNOWN);
    w.s32min = src.s32min;
    w.s32max = src.s32max;
    w.u32min = src.u32min;
    w.u32max = src.u32max;
    w.smin = src.s32min;
    w.smax = src.s32max;
    return syncBounds(w);
  }
  const r = mutable(src);
  // Bounds survive when the range lies within one block of 2^bits and the low parts of both
  // ends have the same sign.
  if (u64(r.smax) >> bits === u64(r.smin) >> bits) {
    const a = sext(r.smax, bytes);
    const b = sext(r.smin, bytes);
    const hi = max(a, b);
    const lo = min(a, b);
    if (hi >= 0n === lo >= 0n) {
      r.smin = lo;
      r.smax = hi;
      r.s32min = lo;
      r.s32max = hi;
      r.umin = u64(lo);
      r.umax = u64(hi);
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.var = tnumRange(u64(lo), u64(hi));
      return syncBounds(r);
    }
  }
  r.smin = -limit;
  r.smax = limit - 1n;
  r.s32min = -limit;
  r.s32max = limit - 1n;
  r.umin = 0n;
  r.umax = U64_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.var = SCALAR_UNKNOWN.var;
  return syncBounds(r);
}

/** The kernel's coerce_subreg_to_size_sx: the low `bytes` sign-extended to 32 bits (upper bits
 * left for the zero-extension that follows). */
function signExtend32(src: Scalar, bytes: number): Scalar {
  const r = mutable(src);
  if (tnumIsConst(src.var)) {
    const v = sext(src.var.value, bytes);
    r.var = { value: u64(v), mask: 0n };
    r.s32min = s32(v);
    r.s32max = s32(v);
    r.u32min = u32(v);
    r.u32max = u32(v);
    return r;
  }
  const bits = BigInt(bytes * 8);
  if (u32(r.s32max) >> bits === u32(r.s32min) >> bits) {
    const a = sext(r.s32max, bytes);
    const b = sext(r.s32min, bytes);
    const hi = max(a, b);
    const lo = min(a, b);
    if (hi >= 0n === lo >= 0n) {
      r.s32min = lo;
      r.s32max = hi;
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      r.var = tnumSubreg(tnumRange(u64(lo), u64(hi)));
      return r;
    }
  }
  const limit = 1n << (bits - 1n);
  r.s32min = -limit;
  r.s32max = limit - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.var = tnumSubreg(SCALAR_UNKNOWN.var);
  return r;
}

/** The kernel's coerce_reg_to_size: keep the low `bytes` (a zero-extending load of that size). */
export function truncateScalar(src: Scalar, bytes: 1 | 2 | 4): Scalar {
  const r = mutable(src);
  r.var = tnumCast(r.var, bytes);
  const mask = (1n << BigInt(bytes * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (bytes < 4) markUnbounded32(r);
  return syncBounds(r);
}
