// Soundness of the scalar domain, property-tested: for random abstract operands and concrete
// members of them, what the interpreter computes is a member of the abstract result, for every
// ALU op in both widths, movsx, byte swaps, truncation; a jump the domain calls settled goes that
// way for every member; and narrowing an edge keeps every concrete pair that takes it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describe, type Sample, scalarSample } from '../../../test/gen/scalar.js';
import { Interpreter } from '../../interp/index.js';
import { alu32, alu64, endian, exit, jmp, mov, movsx } from '../../interp/test-builders.js';
import { type AluOp, BINARY_ALU_OPS, type Instruction, JMP_CONDITIONS } from '../../isa/index.js';
import {
  aluFork,
  aluScalar,
  branchTaken,
  endianScalar,
  formatScalar,
  refineBranch,
  type Scalar,
  scalarConst,
  scalarContains,
  scalarWithin,
  signExtend64,
  truncateScalar,
} from './index.js';

const RUNS = Number(process.env.TSBPF_SCALAR_RUNS ?? 300);

/**
 * One interpreter per program shape, run with r1, r2 = the concrete operands. The interpreter is
 * the concrete semantics here (the JIT is held to it by src/jit/differential.test.ts).
 */
const engines = new Map<string, Interpreter>();
function runWith(key: string, program: () => Instruction[], ...args: bigint[]): bigint {
  let e = engines.get(key);
  if (e === undefined) {
    e = new Interpreter(program());
    engines.set(key, e);
  }
  return e.run(args).r0;
}

/** Pairs of (abstract, member) drawn from a sample: every member, at most 3. */
const members = (s: Sample): bigint[] => s.members.slice(0, 3);

function assertMember(abs: Scalar, x: bigint, what: string): void {
  if (!scalarContains(abs, x)) assert.fail(`${what}: 0x${x.toString(16)} not in ${formatScalar(abs)}`);
}

test('the generator is sound itself: its seeds are members of the synced description', () => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 5 }),
      (xs) => {
        const d = describe(xs);
        for (const x of xs) assertMember(d, x, 'describe');
      },
    ),
    { numRuns: RUNS },
  );
});

const TRACKED_SHIFTS = new Set<AluOp>(['lsh', 'rsh', 'arsh']);

for (const is64 of [true, false]) {
  const build = is64 ? alu64 : alu32;
  const width = is64 ? 'ALU64' : 'ALU';
  for (const op of BINARY_ALU_OPS) {
    test(`${width} ${op}: the concrete result is in the abstract result`, () => {
      // A shift operand is a small range half the time, so tracked shifts are exercised.
      const shiftSample = fc.bigInt({ min: 0n, max: is64 ? 63n : 31n }).map((v) => ({
        abstract: describe([v]),
        members: [v],
      }));
      const srcArb = TRACKED_SHIFTS.has(op) ? fc.oneof(scalarSample, shiftSample) : scalarSample;
      fc.assert(
        fc.property(scalarSample, srcArb, (d, s) => {
          const abs = aluScalar(op, is64, d.abstract, s.abstract);
          for (const a of members(d))
            for (const b of members(s)) {
              const got = runWith(
                `${width} ${op}`,
                () => [build(op, 'r1', 'r2'), mov('r0', 'r1'), exit()],
                a,
                b,
              );
              assertMember(abs, got, `${width} ${op} 0x${a.toString(16)}, 0x${b.toString(16)}`);
            }
        }),
        { numRuns: RUNS },
      );
    });
  }
  test(`${width} neg: the concrete result is in the abstract result`, () => {
    fc.assert(
      fc.property(scalarSample, (d) => {
        const abs = aluScalar('neg', is64, d.abstract, d.abstract);
        for (const a of members(d)) {
          const got = runWith(`${width} neg`, () => [build('neg', 'r1'), mov('r0', 'r1'), exit()], a);
          assertMember(abs, got, `${width} neg 0x${a.toString(16)}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
  for (const bits of is64 ? ([8, 16, 32] as const) : ([8, 16] as const)) {
    test(`${width} movsx${bits}: the concrete result is in the abstract result`, () => {
      fc.assert(
        fc.property(scalarSample, (s) => {
          const abs = aluScalar('movsx', is64, s.abstract, s.abstract, bits);
          for (const a of members(s)) {
            const got = runWith(`${width} movsx${bits}`, () => [movsx(is64, bits, 'r0', 'r1'), exit()], a);
            assertMember(abs, got, `${width} movsx${bits} 0x${a.toString(16)}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
}

test('byte swaps, truncation and sign extension keep their members', () => {
  fc.assert(
    fc.property(scalarSample, fc.constantFrom(1, 2, 4) as fc.Arbitrary<1 | 2 | 4>, (s, bytes) => {
      const trunc = truncateScalar(s.abstract, bytes);
      const sext = signExtend64(s.abstract, bytes);
      for (const a of members(s)) {
        assertMember(trunc, BigInt.asUintN(bytes * 8, a), `truncate ${bytes}`);
        assertMember(sext, BigInt.asUintN(64, BigInt.asIntN(bytes * 8, a)), `sign-extend ${bytes}`);
        for (const order of ['le', 'be', 'bswap'] as const) {
          const bits = (bytes * 8 === 8 ? 16 : bytes * 8) as 16 | 32;
          const got = runWith(
            `${order}${bits}`,
            () => [mov('r0', 'r1'), endian(order, bits, 'r0'), exit()],
            a,
          );
          assertMember(endianScalar(order, bits, s.abstract), got, `${order}${bits}`);
        }
      }
    }),
    { numRuns: RUNS },
  );
});

for (const is64 of [true, false]) {
  const width = is64 ? 'JMP' : 'JMP32';
  for (const cond of JMP_CONDITIONS) {
    test(`${width} ${cond}: a settled branch goes that way, and narrowing keeps every pair on its edge`, () => {
      fc.assert(
        fc.property(scalarSample, scalarSample, (d, s) => {
          const settled = branchTaken(cond, is64, d.abstract, s.abstract);
          const edges = [true, false].map((taken) => refineBranch(cond, is64, d.abstract, s.abstract, taken));
          for (const a of members(d))
            for (const b of members(s)) {
              const program = () => [mov('r0', 0), jmp(cond, 'r1', 'r2', 1, !is64), mov('r0', 1), exit()];
              const taken = runWith(`${width} ${cond}`, program, a, b) === 0n;
              const what = `${width} ${cond} 0x${a.toString(16)}, 0x${b.toString(16)} taken=${taken}`;
              if (settled !== undefined) assert.equal(settled, taken, `${what}: branchTaken`);
              const edge = edges[taken ? 0 : 1];
              if (edge === null || edge === undefined) assert.fail(`${what}: its edge was called impossible`);
              assertMember(edge[0], a, `${what}: dst narrowed`);
              assertMember(edge[1], b, `${what}: src narrowed`);
            }
        }),
        { numRuns: RUNS },
      );
    });
  }
}

test('same-register compares: a settled branch goes that way, narrowing keeps the value on its edge', () => {
  fc.assert(
    fc.property(scalarSample, fc.constantFrom(...JMP_CONDITIONS), fc.boolean(), (d, cond, is64) => {
      const settled = branchTaken(cond, is64, d.abstract, d.abstract);
      for (const a of members(d)) {
        const program = () => [mov('r0', 0), jmp(cond, 'r1', 'r1', 1, !is64), mov('r0', 1), exit()];
        const taken = runWith(`${is64} ${cond} same`, program, a) === 0n;
        if (settled !== undefined) assert.equal(settled, taken, `${cond} r1, r1 with 0x${a.toString(16)}`);
        const edge = refineBranch(cond, is64, d.abstract, d.abstract, taken, true);
        assert.ok(edge !== null, `${cond} r1, r1 with 0x${a.toString(16)}: its edge was called impossible`);
        assertMember(edge[0], a, `${cond} r1, r1 narrowed`);
      }
    }),
    { numRuns: RUNS },
  );
});

test('aluFork: every member whose low word is -1 or 0 is in one of the two destinations', () => {
  // Members with low words -1 and 0 mixed (by a bit pattern), upper words from the sample.
  const minusOneOrZero = fc
    .tuple(scalarSample, fc.integer())
    .map(([s, bits]) => s.members.map((x, i) => ((bits >> i) & 1 ? 0xffffffffn : 0n) | (x & ~0xffffffffn)));
  fc.assert(
    fc.property(
      minusOneOrZero,
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.constantFrom('and', 'or') as fc.Arbitrary<'and' | 'or'>,
      (xs, k, op) => {
        const d = describe(xs.map((x) => BigInt.asUintN(64, x)));
        const fork = aluFork(op, d, scalarConst(k));
        if (d.s32min === -1n && d.s32max === 0n)
          assert.ok(fork !== null, 'a {-1, 0} low word with a constant forks');
        if (fork === null) return;
        for (const x of xs) {
          const low = BigInt.asUintN(32, x);
          assertMember(fork[low === 0n ? 1 : 0], x, `fork of 0x${BigInt.asUintN(64, x).toString(16)}`);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('within: a scalar is within itself and within anything its members all fit', () => {
  fc.assert(
    fc.property(scalarSample, scalarSample, (a, b) => {
      assert.ok(scalarWithin(a.abstract, a.abstract));
      // If b lies within a, each member of b is a member of a (the pruning rule is sound).
      if (scalarWithin(a.abstract, b.abstract))
        for (const x of b.members) assertMember(a.abstract, x, 'within: member of the pruned state');
    }),
    { numRuns: RUNS },
  );
});
