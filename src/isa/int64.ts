// 64-bit integer helpers: the one owner of 64-bit math conversions in tsbpf.
// Values cross API boundaries as bigint; engines may keep them as (lo, hi) u32 pairs
// internally and convert here.

export const U64_MASK = (1n << 64n) - 1n;

/** Wraps any bigint to an unsigned 64-bit value. */
export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** Wraps any bigint to a signed 64-bit value. */
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
/** Wraps to unsigned 32 bits. */
export const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
/** Sign-extends a signed 32-bit number to an unsigned 64-bit bigint, as an imm operand is. */
export const fromImm = (imm: number): bigint => BigInt.asUintN(64, BigInt(imm | 0));

/** Joins two u32 halves into an unsigned 64-bit bigint. */
export function join64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Splits a bigint into its low and high u32 halves. */
export function split64(v: bigint): [lo: number, hi: number] {
  const x = BigInt.asUintN(64, v);
  return [Number(x & 0xffffffffn), Number(x >> 32n)];
}

/** `0x`-prefixed lowercase hex of the unsigned 64-bit value. */
export function hex64(v: bigint): string {
  return `0x${u64(v).toString(16)}`;
}
