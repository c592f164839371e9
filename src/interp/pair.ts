// 64-bit arithmetic on (lo, hi) int32 halves held in the interpreter's register file, so the hot
// loop never allocates a BigInt. Division and modulo of values that do not fit 32 bits fall
// back to BigInt (rare and slow anyway). Pure math: no instruction decoding, no memory.

import { join64 } from '../isa/index.js';

/** Unsigned a > b on 64-bit halves. */
export function ugt(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah >>> 0 > bh >>> 0 : al >>> 0 > bl >>> 0;
}

/** Signed a > b on 64-bit halves (hi halves as int32). */
export function sgt(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? (ah | 0) > (bh | 0) : al >>> 0 > bl >>> 0;
}

/** High 32 bits of the unsigned 64-bit product of two u32 (16-bit limbs keep every step exact). */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const m1 = a1 * b0 + ((a0 * b0) >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/** r[d] *= (bl, bh), modulo 2^64. */
export function mul64(R: Int32Array, d: number, bl: number, bh: number): void {
  const al = R[d]!;
  const ah = R[d + 1]!;
  R[d + 1] = (mulhiU32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
  R[d] = Math.imul(al, bl);
}

export function shl64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const al = R[d]!;
  if (n < 32) {
    R[d + 1] = (R[d + 1]! << n) | (al >>> (32 - n));
    R[d] = al << n;
  } else {
    R[d + 1] = al << (n - 32);
    R[d] = 0;
  }
}

export function shr64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const ah = R[d + 1]!;
  if (n < 32) {
    R[d] = (R[d]! >>> n) | (ah << (32 - n));
    R[d + 1] = ah >>> n;
  } else {
    R[d] = ah >>> (n - 32);
    R[d + 1] = 0;
  }
}

export function sar64(R: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const ah = R[d + 1]!;
  if (n < 32) {
    R[d] = (R[d]! >>> n) | (ah << (32 - n));
    R[d + 1] = ah >> n;
  } else {
    R[d] = ah >> (n - 32);
    R[d + 1] = ah >> 31;
  }
}

/** Division kinds of divmod64. */
export const UDIV = 0;
export const UMOD = 1;
export const SDIV = 2;
export const SMOD = 3;

/**
 * r[d] = r[d] op (bl, bh) for the four 64-bit division kinds, with RFC 9669 §4.1 edge cases:
 * x / 0 = 0, x % 0 = x, INT64_MIN / -1 = INT64_MIN, INT64_MIN % -1 = 0.
 */
export function divmod64(R: Int32Array, d: number, bl: number, bh: number, kind: number): void {
  if ((bl | bh) === 0) {
    if (kind === UDIV || kind === SDIV) {
      R[d] = 0;
      R[d + 1] = 0;
    }
    return;
  }
  const al = R[d]!;
  const ah = R[d + 1]!;
  if (kind < SDIV) {
    if (ah === 0 && bh === 0) {
      const x = al >>> 0;
      const y = bl >>> 0;
      R[d] = kind === UDIV ? Math.floor(x / y) : x % y;
      return;
    }
  } else if (ah === al >> 31 && bh === bl >> 31) {
    // Both fit int32: the quotient fits in [-2^31, 2^31], exact as a double.
    const q = kind === SDIV ? Math.trunc(al / bl) : al % bl;
    R[d] = q | 0;
    R[d + 1] = q < 0 ? -1 : 0;
    return;
  }
  const a = join64(al, ah);
  const b = join64(bl, bh);
  let r: bigint;
  if (kind === UDIV) r = a / b;
  else if (kind === UMOD) r = a % b;
  else {
    const sa = BigInt.asIntN(64, a);
    const sb = BigInt.asIntN(64, b);
    r = kind === SDIV ? sa / sb : sa % sb;
  }
  r = BigInt.asUintN(64, r);
  R[d] = Number(r & 0xffffffffn) | 0;
  R[d + 1] = Number(r >> 32n) | 0;
}

/** Reverses the bytes of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
