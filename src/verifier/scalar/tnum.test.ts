// Tristate numbers: each operation holds every concrete result of its members (fast-check over
// random tnums and members), the searches agree with brute force on small tnums, and results the
// kernel's log printed (Linux 6.18) are reproduced exactly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Tnum,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap,
  tnumConst,
  tnumContains,
  tnumIn,
  tnumIntersect,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumNextMember,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumUnion,
  tnumXor,
} from './tnum.js';

const U64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);

/** A tnum and a member of it: unknown bits chosen from a mask, the member filling them. */
const tnumWithMember = fc
  .tuple(
    fc.bigInt({ min: 0n, max: U64 }),
    fc.oneof(
      fc.bigInt({ min: 0n, max: U64 }),
      fc.bigInt({ min: 0n, max: 0xffn }),
      fc.constant(0n),
      fc.integer({ min: 0, max: 63 }).map((i) => 1n << BigInt(i)),
    ),
    fc.bigInt({ min: 0n, max: U64 }),
  )
  .map(([v, mask, fill]) => ({ t: { value: v & ~mask, mask } as Tnum, x: (v & ~mask) | (fill & mask) }));

test('binary operations hold every result of their members', () => {
  const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
    ['add', tnumAdd, (x, y) => u64(x + y)],
    ['sub', tnumSub, (x, y) => u64(x - y)],
    ['mul', tnumMul, (x, y) => u64(x * y)],
    ['and', tnumAnd, (x, y) => x & y],
    ['or', tnumOr, (x, y) => x | y],
    ['xor', tnumXor, (x, y) => x ^ y],
    ['union', tnumUnion, (x) => x],
  ];
  fc.assert(
    fc.property(tnumWithMember, tnumWithMember, (a, b) => {
      for (const [name, abs, conc] of ops)
        assert.ok(
          tnumContains(abs(a.t, b.t), conc(a.x, b.x)),
          `${name} 0x${a.x.toString(16)} 0x${b.x.toString(16)}`,
        );
      assert.ok(tnumContains(tnumUnion(a.t, b.t), b.x), 'union holds both');
      if (tnumContains(b.t, a.x)) assert.ok(tnumContains(tnumIntersect(a.t, b.t), a.x), 'intersect');
    }),
    { numRuns: 2000 },
  );
});

/** Linux 6.18's tnum_mul as plain long multiplication, bit by bit to the end (no early stop). */
function longMul(a: Tnum, b: Tnum): Tnum {
  let acc: Tnum = { value: 0n, mask: 0n };
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if (x.value & 1n) acc = tnumAdd(acc, y);
    else if (x.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

test("mul's early stops give exactly the full long multiplication's result", () => {
  const tnumArb = tnumWithMember.map(({ t }) => t);
  // Constants, low-word unknowns and wide unknowns: the shapes that stop early or run to the end.
  const shaped = fc.oneof(
    tnumArb,
    fc.bigInt({ min: 0n, max: U64 }).map((v) => tnumConst(v)),
    fc.bigInt({ min: 0n, max: U64 }).map((v) => ({ value: v & ~0xffffffffn, mask: 0xffffffffn }) as Tnum),
  );
  fc.assert(
    fc.property(shaped, shaped, (a, b) => {
      assert.deepEqual(tnumMul(a, b), longMul(a, b));
    }),
    { numRuns: 3000 },
  );
});

test('unary operations and shifts hold every result of their members', () => {
  fc.assert(
    fc.property(tnumWithMember, fc.integer({ min: 0, max: 63 }), ({ t, x }, n) => {
      const s = BigInt(n);
      assert.ok(tnumContains(tnumNeg(t), u64(-x)), 'neg');
      assert.ok(tnumContains(tnumLshift(t, n), u64(x << s)), 'lsh');
      assert.ok(tnumContains(tnumRshift(t, n), x >> s), 'rsh');
      assert.ok(tnumContains(tnumArshift(t, n, 64), u64(BigInt.asIntN(64, x) >> s)), 'arsh64');
      const lo = BigInt.asUintN(32, x);
      assert.ok(
        tnumContains(tnumArshift(t, n % 32, 32), BigInt.asUintN(32, BigInt.asIntN(32, lo) >> BigInt(n % 32))),
        'arsh32',
      );
      for (const bits of [16, 32, 64] as const) {
        let swapped = 0n;
        for (let i = 0n; i < BigInt(bits); i += 8n) swapped = (swapped << 8n) | ((x >> i) & 0xffn);
        assert.ok(tnumContains(tnumBswap(t, bits), swapped), `bswap${bits}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('range: every value of [min, max] is a member; in: subsets', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: U64 }),
      fc.bigInt({ min: 0n, max: U64 }),
      fc.bigInt(),
      (a, b, k) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const r = tnumRange(lo, hi);
        const x = lo + (((k % (hi - lo + 1n)) + (hi - lo + 1n)) % (hi - lo + 1n));
        assert.ok(tnumContains(r, lo) && tnumContains(r, hi) && tnumContains(r, x));
        assert.ok(tnumIn(r, tnumConst(x)));
        assert.ok(tnumIn(tnumUnion(r, tnumConst(0n)), r));
      },
    ),
  );
});

test('next member: the least member >= z, as brute force finds it', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0x3ff }),
      fc.integer({ min: 0, max: 0xff }),
      fc.integer({ min: 0, max: 0x500 }),
      (v, m, z) => {
        const t = { value: BigInt(v & ~m), mask: BigInt(m) };
        let want: bigint | undefined;
        for (let x = BigInt(z); x <= 0x3ffn; x++)
          if (tnumContains(t, x)) {
            want = x;
            break;
          }
        assert.equal(tnumNextMember(t, BigInt(z)), want, `(${v & ~m}; ${m}) from ${z}`);
      },
    ),
    { numRuns: 3000 },
  );
  assert.equal(tnumNextMember({ value: 0n, mask: U64 }, U64), U64);
  assert.equal(tnumNextMember(tnumConst(5n), 6n), undefined);
});

test("results the kernel's log printed (Linux 6.18)", () => {
  // 18: (27) r7 *= -602231185 with r7 var_off=(0x7ffffffe; 0x80000000)
  const m = tnumMul({ value: 0x7ffffffen, mask: 0x80000000n }, tnumConst(u64(-602231185n)));
  assert.deepEqual(m, { value: 0xcc08062747caa322n, mask: 0x3217f95880000000n });
  // r6 = be16 r6 with var_off=(0x1; 0xff0) gives (0x100; 0xf00f)
  assert.deepEqual(tnumBswap({ value: 1n, mask: 0xff0n }, 16), { value: 0x100n, mask: 0xf00fn });
  assert.deepEqual(tnumBswap({ value: 1n, mask: 0xff0n }, 64), {
    value: 0x100000000000000n,
    mask: 0xf00f000000000000n,
  });
});
