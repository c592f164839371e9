// The walker's view of the scalar domain (scalar/, tnum + signed/unsigned 64/32-bit bounds): the
// few operations the abstract interpreter needs, named for what it asks. One place adapts
// scalar/'s API, so the rest of verifier/ does not depend on its shape.

import type { AluOp, JmpCond } from '../isa/index.js';
import * as S from './scalar/index.js';

export type Scalar = S.Scalar;

export const scalarConst = (v: bigint): Scalar => S.scalarConst(BigInt.asUintN(64, v));
export const scalarUnknown = (): Scalar => S.scalarUnknown();

/** An instruction's immediate as a scalar (a 32-bit integer, sign- or zero-extended by the caller). */
export function immediate(n: number): Scalar {
  let s = immediates.get(n);
  if (s === undefined) {
    s = scalarConst(BigInt(n));
    // Scalars are immutable: each immediate is built once (a constant costs nine bigints).
    if (immediates.size < 4096) immediates.set(n, s);
  }
  return s;
}
const immediates = new Map<number, Scalar>();

/** The value when known (unsigned 64-bit), else undefined. */
export function constOf(s: Scalar): bigint | undefined {
  return S.isConstScalar(s) ? s.var.value : undefined;
}

export const smin = (s: Scalar): bigint => s.smin;
export const smax = (s: Scalar): bigint => s.smax;
export const umin = (s: Scalar): bigint => s.umin;
export const umax = (s: Scalar): bigint => s.umax;

/** The result of an ALU op (32-bit ops zero-extend), as the kernel's adjust_scalar_min_max_vals. */
export function alu(op: AluOp, is64: boolean, dst: Scalar, src: Scalar, ext?: 8 | 16 | 32): Scalar {
  return S.aluScalar(op, is64, dst, src, ext);
}

/** A value loaded from memory the verifier knows nothing about: `bytes` wide, zero- or sign-extended. */
export function loaded(bytes: 1 | 2 | 4 | 8, signed: boolean): Scalar {
  const key = bytes * 2 + (signed ? 1 : 0);
  const known = loadedValues[key];
  if (known !== undefined) return known;
  const u = bytes === 8 ? S.scalarUnknown() : S.scalarRange(0n, (1n << BigInt(bytes * 8)) - 1n);
  const value = signed && bytes !== 8 ? S.signExtend64(u, bytes) : u;
  loadedValues[key] = value;
  return value;
}
/** loaded()'s results by bytes * 2 + signed: scalars are immutable, so each is computed once
 * (every load runs a bounds sync otherwise). Sized for every key up front: a read past an
 * array's end deoptimises the code optimised without one. */
const loadedValues: (Scalar | undefined)[] = new Array(8 * 2 + 2).fill(undefined);

/**
 * A known value read back narrower than it was stored (a fill of part of a spilled scalar): its
 * low `bytes`, zero- or sign-extended, as the kernel's coerce_reg_to_size(_sx) after a load.
 */
export function narrowed(s: Scalar, bytes: 1 | 2 | 4, signed: boolean): Scalar {
  return signed ? S.signExtend64(s, bytes) : S.truncateScalar(s, bytes);
}

/**
 * The two destination values the kernel walks apart before `dst &= K` / `dst |= K` when dst's
 * low word is -1 or 0 (`cond ? K : 0`), or null when it does not split.
 */
export const fork = (op: AluOp, dst: Scalar, src: Scalar): readonly [Scalar, Scalar] | null =>
  S.aluFork(op, dst, src);

/** true / false when the comparison's outcome is certain, else undefined. */
export function taken(
  cond: JmpCond,
  jmp32: boolean,
  a: Scalar,
  b: Scalar,
  same: boolean,
): boolean | undefined {
  return S.branchTaken(cond, !jmp32, a, b, same);
}

/** Both operands narrowed by the edge (`outcome` true: the jump is taken); null: impossible edge. */
export function refine(
  cond: JmpCond,
  jmp32: boolean,
  a: Scalar,
  b: Scalar,
  outcome: boolean,
  same: boolean,
): readonly [Scalar, Scalar] | null {
  return S.refineBranch(cond, !jmp32, a, b, outcome, same);
}

/** Every value of `cur` is a value of `old` (the kernel's range_within + tnum_in). */
export const within = (old: Scalar, cur: Scalar): boolean => S.scalarWithin(old, cur);

export const sameScalar = (a: Scalar, b: Scalar): boolean => S.scalarEquals(a, b);

/** A byte swap's result (le truncates on this little-endian machine; be and bswap swap the known bits). */
export const endian = (order: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64, s: Scalar): Scalar =>
  S.endianScalar(order, bits, s);

/** The kernel's text for a scalar register (`scalar(...)`, or the constant). */
export const formatScalar = (s: Scalar): string => S.formatScalar(s);
