// The Internet checksum arithmetic the checksum helpers share (RFC 1071 one's-complement sums,
// RFC 1624 incremental updates), in the forms the kernel's helpers return: csum_partial's 32-bit
// partial sum, csum_fold's 16-bit complement, csum_from32to16. Bytes are summed in memory order
// as little-endian words, as x86-64 does; no helper logic here (checksum.ts).

/** 32-bit end-around-carry add (csum_add). */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s > 0xffffffff ? s - 0xffffffff : s) >>> 0;
}

/** csum_sub: a + ~b. */
export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/**
 * csum_partial(buf, len, seed): the one's-complement sum of `bytes` read as little-endian 32-bit
 * words (a short tail zero-padded), added to `seed`. Zero only when everything is zero, as the
 * kernel's end-around adds give, so folds agree with the kernel bit for bit.
 */
export function csumPartial(bytes: Uint8Array, seed: number): number {
  let sum = seed >>> 0;
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    sum = csumAdd(
      sum,
      (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0,
    );
  }
  if (i < n) {
    let w = 0;
    for (let k = 0; i + k < n; k++) w |= bytes[i + k]! << (8 * k);
    sum = csumAdd(sum, w >>> 0);
  }
  return sum;
}

/** Folds a 32-bit sum to 16 bits with end-around carry (csum_from32to16: no complement). */
export function from32to16(sum: number): number {
  let s = (sum >>> 16) + (sum & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return s & 0xffff;
}

/** csum_fold: the complemented 16-bit checksum of a 32-bit sum. */
export const csumFold = (sum: number): number => ~from32to16(sum) & 0xffff;

/** csum_unfold: a stored 16-bit checksum as a 32-bit sum. */
export const csumUnfold = (sum16: number): number => sum16 & 0xffff;

/** A u32 as the 4 bytes it occupies in memory (little-endian), e.g. a __be32 argument. */
export function wordBytes(...words: number[]): Uint8Array {
  const b = new Uint8Array(4 * words.length);
  const v = new DataView(b.buffer);
  words.forEach((w, k) => {
    v.setUint32(4 * k, w >>> 0, true);
  });
  return b;
}

/** csum_replace4 / csum_replace2 / csum_replace_by_diff on a stored checksum (all three share one form). */
export function replaceDiff(check: number, diff: number): number {
  return csumFold(csumAdd(diff, ~csumUnfold(check) >>> 0));
}

/** The diff of replacing `from` by `to` (u32 values as stored): csum_partial({~from, to}). */
export const replaceWords = (from: number, to: number): number => csumPartial(wordBytes(~from >>> 0, to), 0);
