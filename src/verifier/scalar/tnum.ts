// Tristate numbers: what is known of the bits of a 64-bit value. A bit is known 0 (value 0,
// mask 0), known 1 (value 1, mask 0) or unknown (mask 1); value & mask is always 0. The set a
// tnum stands for is { x : x & ~mask == value }. Operations follow the facts of the kernel's
// kernel/bpf/tnum.c (Linux 6.18): each result holds every result of the concrete operation on
// members of the operands. Fields are unsigned 64-bit bigints.

import { u32, u64 } from '../../isa/index.js';
import { nextMemberOf } from './bounds-sync.js';

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

const U64_MAX = (1n << 64n) - 1n;
const LOW32 = 0xffffffffn;

const tnum = (value: bigint, mask: bigint): Tnum => ({ value, mask });

export const TNUM_UNKNOWN: Tnum = tnum(0n, U64_MAX);

export const tnumConst = (value: bigint): Tnum => tnum(u64(value), 0n);

/** The smallest tnum holding every value of [min, max] (unsigned): the common high bits known. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = bitLength(min ^ max);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta, delta);
}

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;
/** Whether the concrete value `x` is a member of `a`. */
export const tnumContains = (a: Tnum, x: bigint): boolean => (u64(x) & ~a.mask) === a.value;

export const tnumLshift = (a: Tnum, shift: number): Tnum =>
  tnum(u64(a.value << BigInt(shift)), u64(a.mask << BigInt(shift)));
export const tnumRshift = (a: Tnum, shift: number): Tnum =>
  tnum(a.value >> BigInt(shift), a.mask >> BigInt(shift));

/** Arithmetic right shift within `bits` (32: of the low word, result zero-extended). */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  const sar = (v: bigint) => BigInt.asUintN(bits, BigInt.asIntN(bits, v) >> s);
  return tnum(sar(a.value), sar(a.mask));
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = a.mask + b.mask;
  const sv = a.value + b.value;
  // Bits where the sum with all unknowns set and the sum with none differ may carry.
  const chi = u64(sm + sv) ^ u64(sv);
  const mu = chi | a.mask | b.mask;
  return tnum(u64(sv) & ~mu, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = a.value - b.value;
  const chi = u64(dv + a.mask) ^ u64(dv - b.mask);
  const mu = chi | a.mask | b.mask;
  return tnum(u64(dv) & ~mu, mu);
}

export const tnumNeg = (a: Tnum): Tnum => tnumSub(tnum(0n, 0n), a);

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  return tnum(v, (a.value | a.mask) & (b.value | b.mask) & ~v);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  return tnum(v, (a.mask | b.mask) & ~v);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask;
  return tnum((a.value ^ b.value) & ~mu, mu);
}

/** Long multiplication over the bits of `a`: a known 1 adds the shifted `b`, an unknown bit
 * adds it or not (the union of both sums), a known 0 adds nothing. This is the precision Linux
 * 6.18's tnum_mul has (checked against its log: `a` is the destination, `b` the source).
 * Up to 64 steps of tnumAdd and tnumUnion: they run here on 32-bit halves in numbers (the same
 * formulas, wrapping at 2^64 as u64() does), since bigint steps allocate at every operation. */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  // Both known: every partial sum is exact, so the result is the product.
  if (a.mask === 0n && b.mask === 0n) return tnum(u64(a.value * b.value), 0n);
  let [xvLo, xvHi] = halves(a.value);
  let [xmLo, xmHi] = halves(a.mask);
  let [yvLo, yvHi] = halves(b.value);
  let [ymLo, ymHi] = halves(b.mask);
  let avLo = 0;
  let avHi = 0;
  let amLo = 0;
  let amHi = 0;
  // Step `shift` adds y (b << shift), whose low `shift` bits are known 0. Two cases end the
  // loop early without changing the result: y is 0 (adding 0 and its union leave acc as it is),
  // and acc's bits from `shift` up are all unknown (the sum has no carry into the known low bits
  // and its upper bits stay unknown: tnumAdd and tnumUnion give acc back).
  for (let shift = 0; (xvLo | xvHi | xmLo | xmHi) !== 0; shift++) {
    if ((yvLo | yvHi | ymLo | ymHi) === 0) break;
    if (allOnesFrom(amLo, amHi, shift)) break;
    const addKnown = (xvLo & 1) !== 0;
    if (addKnown || (xmLo & 1) !== 0) {
      // tnumAdd(acc, y): sm = am + ym, sv = av + yv, chi = (sm + sv) ^ sv, mu = chi | am | ym.
      const smLo = amLo + ymLo;
      const smHi = (amHi + ymHi + (smLo > 0xffffffff ? 1 : 0)) >>> 0;
      const svLo = avLo + yvLo;
      const svHi = (avHi + yvHi + (svLo > 0xffffffff ? 1 : 0)) >>> 0;
      const tLo = (smLo >>> 0) + (svLo >>> 0);
      const tHi = (smHi + svHi + (tLo > 0xffffffff ? 1 : 0)) >>> 0;
      const muLo = ((tLo ^ svLo) | amLo | ymLo) >>> 0;
      const muHi = ((tHi ^ svHi) | amHi | ymHi) >>> 0;
      const sumLo = (svLo & ~muLo) >>> 0;
      const sumHi = (svHi & ~muHi) >>> 0;
      if (addKnown) {
        avLo = sumLo;
        avHi = sumHi;
        amLo = muLo;
        amHi = muHi;
      } else {
        // tnumUnion(acc, sum): mu = am | sm | (av ^ sv), value = av & sv & ~mu.
        const uLo = (amLo | muLo | (avLo ^ sumLo)) >>> 0;
        const uHi = (amHi | muHi | (avHi ^ sumHi)) >>> 0;
        avLo = (avLo & sumLo & ~uLo) >>> 0;
        avHi = (avHi & sumHi & ~uHi) >>> 0;
        amLo = uLo;
        amHi = uHi;
      }
    }
    // x >>= 1, y <<= 1 (64-bit, across the halves).
    xvLo = ((xvLo >>> 1) | (xvHi << 31)) >>> 0;
    xvHi >>>= 1;
    xmLo = ((xmLo >>> 1) | (xmHi << 31)) >>> 0;
    xmHi >>>= 1;
    yvHi = ((yvHi << 1) | (yvLo >>> 31)) >>> 0;
    yvLo = (yvLo << 1) >>> 0;
    ymHi = ((ymHi << 1) | (ymLo >>> 31)) >>> 0;
    ymLo = (ymLo << 1) >>> 0;
  }
  return tnum(join(avLo, avHi), join(amLo, amHi));
}

/** The low and high 32 bits of a u64 bigint, as unsigned numbers. */
const halves = (v: bigint): [number, number] => [Number(v & LOW32), Number(v >> 32n)];
const join = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

/** Bits `from`..63 of (lo, hi) are all 1. */
function allOnesFrom(lo: number, hi: number, from: number): boolean {
  if (from >= 32) return hi >>> (from - 32) === 0xffffffff >>> (from - 32);
  return hi === 0xffffffff && lo >>> from === 0xffffffff >>> from;
}

/** Both facts at once: the values in `a` and in `b`. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask & b.mask;
  return tnum((a.value | b.value) & ~mu, mu);
}

/** Either fact: the smallest tnum holding the values of `a` and of `b`. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return tnum(a.value & b.value & ~mu, mu);
}

/** Whether some value may be in both (no known bit disagrees). */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const known = ~a.mask & ~b.mask;
  return (a.value & known) === (b.value & known);
}

/** Keeps the low `bytes` bytes (the rest known 0). */
export function tnumCast(a: Tnum, bytes: number): Tnum {
  const m = (1n << BigInt(bytes * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

/** Every value of `b` is a value of `a`. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  // Without bigint work for the common cases (pruning asks this of every live scalar): the same
  // unknown bits (then b's values are a's when the known bits agree), and nothing known in a.
  if (a.mask === b.mask) return a.value === b.value;
  if (a.mask === U64_MAX) return true;
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/** The low 32 bits (upper known 0). */
export const tnumSubreg = (a: Tnum): Tnum => tnum(u32(a.value), u32(a.mask));
/** The upper 32 bits kept, the low 32 known 0. */
export const tnumClearSubreg = (a: Tnum): Tnum => tnum(a.value & ~LOW32, a.mask & ~LOW32);
/** `a`'s upper 32 bits with `sub`'s low 32 bits. */
export const tnumWithSubreg = (a: Tnum, sub: Tnum): Tnum => tnumOr(tnumClearSubreg(a), tnumSubreg(sub));
export const tnumSubregIsConst = (a: Tnum): boolean => u32(a.mask) === 0n;

/** The least member of `a` that is >= `z`, or undefined when none is (the kernel's tnum_step
 * asks for the next member above a value). Above the highest known bit where z disagrees with
 * `a`, the member follows z; there it must rise above z, at that bit if `a` has a 1 there, else
 * at the lowest unknown bit above it that z has 0; below, it takes the least fill (known bits).
 * The search runs on 32-bit halves (bounds-sync.ts, where the bounds sync uses it). */
export function tnumNextMember(a: Tnum, z: bigint): bigint | undefined {
  if (z <= a.value) return a.value;
  if (z > (a.value | a.mask)) return undefined;
  return nextMemberOf(a.value, a.mask, z);
}

/** Bits up to the highest set one of a non-negative value (0 for 0): 32 at a time with clz32,
 * not through a binary string (it runs in every bounds sync). */
function bitLength(v: bigint): number {
  let bits = 0;
  let rest = v;
  while (rest > 0xffffffffn) {
    rest >>= 32n;
    bits += 32;
  }
  return bits + 32 - Math.clz32(Number(rest));
}

/** The low `bits` bits with their bytes in reverse order, known bits moving with them (upper
 * bits known 0). */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  const swap = (v: bigint) => {
    let out = 0n;
    for (let i = 0n; i < BigInt(bits); i += 8n) out = (out << 8n) | ((v >> i) & 0xffn);
    return out;
  };
  return tnum(swap(a.value), swap(a.mask));
}

/** The kernel's `(%#llx; %#llx)` form, as its log prints var_off. */
export const formatTnum = (a: Tnum): string => `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
