// fast-check arbitraries for the verifier's scalar domain: an abstract scalar built as the
// smallest description of a few concrete values (so those values are members by construction),
// sometimes loosened by forgetting some of its facts, plus members drawn from it.

import fc from 'fast-check';
import {
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarContains,
  tnumConst,
  tnumUnion,
} from '../../src/verifier/scalar/index.js';
import { type MutableScalar, syncBounds } from '../../src/verifier/scalar/scalar.js';

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);

/** 64-bit values biased to the edges where the rules change: small, sign bits, 32-bit limits. */
export const interesting64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: -70n, max: 70n }).map(u64),
  fc
    .constantFrom(0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 1n << 63n, (1n << 63n) - 1n)
    .chain((b) => fc.bigInt({ min: -3n, max: 3n }).map((d) => u64(b + d))),
  fc.bigInt({ min: 0n, max: 0xffffn }),
  fc.bigInt({ min: -0x80000000n, max: 0xffffffffn }).map(u64),
);

/** A few values near each other (or not), the seed of one abstract value. */
const cluster: fc.Arbitrary<bigint[]> = fc.oneof(
  fc.array(interesting64, { minLength: 1, maxLength: 4 }),
  fc
    .tuple(interesting64, fc.array(fc.bigInt({ min: -300n, max: 300n }), { minLength: 0, maxLength: 4 }))
    .map(([b, ds]) => [b, ...ds.map((d) => u64(b + d))]),
  fc
    .tuple(
      interesting64,
      fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxLength: 3 }),
      interesting64,
    )
    .map(([b, xs, m]) => [b, ...xs.map((x) => (b & ~m) | (x & m))]),
);

/** The tightest scalar holding `values`, synced. */
export function describe(values: readonly bigint[]): Scalar {
  let t = tnumConst(values[0]!);
  for (const v of values) t = tnumUnion(t, tnumConst(v));
  const sorted = (xs: bigint[]) => xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const us = sorted(values.map(u64));
  const ss = sorted(values.map(s64));
  const u32s = sorted(values.map(u32));
  const s32s = sorted(values.map(s32));
  const r: MutableScalar = {
    var: t,
    umin: us[0]!,
    umax: us.at(-1)!,
    smin: ss[0]!,
    smax: ss.at(-1)!,
    u32min: u32s[0]!,
    u32max: u32s.at(-1)!,
    s32min: s32s[0]!,
    s32max: s32s.at(-1)!,
  };
  return syncBounds(r);
}

/** Forgets the facts chosen by `which` (a bit per fact), then syncs again. */
function loosen(s: Scalar, which: number): Scalar {
  const r: MutableScalar = { ...s };
  const U = SCALAR_UNKNOWN;
  if (which & 1) r.var = U.var;
  if (which & 2) [r.umin, r.umax] = [U.umin, U.umax];
  if (which & 4) [r.smin, r.smax] = [U.smin, U.smax];
  if (which & 8) [r.u32min, r.u32max] = [U.u32min, U.u32max];
  if (which & 16) [r.s32min, r.s32max] = [U.s32min, U.s32max];
  return syncBounds(r);
}

export interface Sample {
  readonly abstract: Scalar;
  /** Concrete members (at least one). */
  readonly members: readonly bigint[];
}

/** An abstract scalar and members of it: its seeds, and random values that pass every fact. */
export const scalarSample: fc.Arbitrary<Sample> = fc
  .tuple(
    cluster,
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 31 }) },
    ),
    fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 4, maxLength: 4 }),
    fc.boolean(),
  )
  .map(([values, which, randoms, asConst]) => {
    const abstract = asConst ? scalarConst(values[0]!) : loosen(describe(values), which);
    const t = abstract.var;
    const extra = randoms
      .flatMap((x) => [
        (x & t.mask) | t.value,
        abstract.umin,
        abstract.umax,
        u64(abstract.smin),
        u64(abstract.smax),
      ])
      .filter((x) => scalarContains(abstract, x));
    return { abstract, members: [...(asConst ? [values[0]!] : values), ...extra] };
  });
