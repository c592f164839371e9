// ALU, ALU64 and byte-order instructions against an independent BigInt model of RFC 9669 §4,
// on edge values (0, ±1, INT32/INT64 limits) and random ones, register and immediate forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import type { AluOp, Instruction } from '../isa/index.js';
import { alu32, alu64, endian, exit, ld64, mov, movsx } from './test-builders.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const u32 = (v: bigint) => BigInt.asUintN(32, v);

/** RFC 9669 §4.1 on unsigned 64-bit operands; `wide` false = the 32-bit (ALU class) form. */
function model(op: AluOp, a: bigint, b: bigint, wide: boolean): bigint {
  const bits = wide ? 64 : 32;
  const U = (v: bigint) => BigInt.asUintN(bits, v);
  const S = (v: bigint) => BigInt.asIntN(bits, v);
  const x = U(a);
  const y = U(b);
  const shift = y & BigInt(bits - 1);
  switch (op) {
    case 'add':
      return U(x + y);
    case 'sub':
      return U(x - y);
    case 'mul':
      return U(x * y);
    case 'div':
      return y === 0n ? 0n : x / y;
    case 'sdiv':
      return y === 0n ? 0n : U(S(x) / S(y));
    case 'mod':
      return y === 0n ? x : x % y;
    case 'smod':
      return y === 0n ? x : U(S(x) % S(y));
    case 'or':
      return x | y;
    case 'and':
      return x & y;
    case 'xor':
      return x ^ y;
    case 'lsh':
      return U(x << shift);
    case 'rsh':
      return x >> shift;
    case 'arsh':
      return U(S(x) >> shift);
    case 'neg':
      return U(-x);
    case 'mov':
      return y;
    case 'movsx':
      throw new Error('not modelled here');
  }
}

const EDGES = [
  0n,
  1n,
  2n,
  3n,
  7n,
  31n,
  32n,
  63n,
  64n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  M64, // -1
  M64 - 1n, // -2
  u64(-0x80000000n),
  0x123456789abcdef0n,
];

let seed = 0x2545f491;
function rand64(): bigint {
  const r = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return BigInt(seed >>> 0);
  };
  return (r() << 32n) | r();
}

const values = [...EDGES, ...Array.from({ length: 12 }, rand64)];
const OPS: AluOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'sdiv',
  'mod',
  'smod',
  'or',
  'and',
  'xor',
  'lsh',
  'rsh',
  'arsh',
  'mov',
];

function run(...program: Instruction[]): bigint {
  return new Interpreter(program).run().r0;
}

for (const wide of [true, false]) {
  const build = wide ? alu64 : alu32;
  test(`${wide ? 'ALU64' : 'ALU'}: every op, register operand, edge and random values`, () => {
    for (const op of OPS)
      for (const a of values)
        for (const b of values) {
          const got = run(ld64('r1', a), ld64('r2', b), build(op, 'r1', 'r2'), mov('r0', 'r1'), exit());
          assert.equal(got, model(op, a, b, wide), `${op}${wide ? '64' : '32'} ${a} ${b}`);
        }
  });
  test(`${wide ? 'ALU64' : 'ALU'}: every op, immediate operand (sign-extended)`, () => {
    const imms = [0, 1, -1, 2, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 12345, -7];
    for (const op of OPS)
      for (const a of values)
        for (const imm of imms) {
          const got = run(ld64('r1', a), build(op, 'r1', imm), mov('r0', 'r1'), exit());
          assert.equal(
            got,
            model(op, a, u64(BigInt(imm)), wide),
            `${op}${wide ? '64' : '32'} ${a} imm ${imm}`,
          );
        }
  });
  test(`${wide ? 'ALU64' : 'ALU'}: neg, and dst = src aliasing`, () => {
    for (const a of values) {
      assert.equal(
        run(ld64('r1', a), build('neg', 'r1'), mov('r0', 'r1'), exit()),
        model('neg', a, 0n, wide),
      );
      assert.equal(
        run(ld64('r1', a), build('mul', 'r1', 'r1'), mov('r0', 'r1'), exit()),
        model('mul', a, a, wide),
      );
    }
  });
}

test('division edge cases spelled out (RFC 9669 §4.1)', () => {
  const r = (a: bigint, ...rest: Instruction[]) => run(ld64('r0', a), ...rest, exit());
  assert.equal(r(10n, alu64('div', 'r0', 0)), 0n, 'div64 by 0 = 0');
  assert.equal(r(10n, alu64('mod', 'r0', 0)), 10n, 'mod64 by 0 leaves dst');
  assert.equal(r(0xffffffff_00000005n, alu32('mod', 'r0', 0)), 5n, 'mod32 by 0 zero-extends dst');
  assert.equal(r(0xffffffff_00000005n, alu32('div', 'r0', 0)), 0n);
  assert.equal(r(0x8000000000000000n, alu64('sdiv', 'r0', -1)), 0x8000000000000000n, 'INT64_MIN / -1');
  assert.equal(r(0x8000000000000000n, alu64('smod', 'r0', -1)), 0n, 'INT64_MIN % -1');
  assert.equal(r(0x80000000n, alu32('sdiv', 'r0', -1)), 0x80000000n, 'INT32_MIN / -1');
  assert.equal(r(0x80000000n, alu32('smod', 'r0', -1)), 0n);
  assert.equal(r(u64(-7n), alu64('sdiv', 'r0', 2)), u64(-3n), 'truncates toward zero');
  assert.equal(r(u64(-7n), alu64('smod', 'r0', 2)), u64(-1n), 'sign of the dividend');
  assert.equal(r(7n, alu64('div', 'r0', -1)), 0n, 'unsigned div by imm -1 divides by 2^64-1');
  assert.equal(r(u32(-7n), alu32('smod', 'r0', 2)), u32(-1n), 'smod32 result zero-extended');
});

test('shift amounts are masked (&63, &31) and 32-bit results zero-extend', () => {
  const r = (a: bigint, ...rest: Instruction[]) => run(ld64('r0', a), ...rest, exit());
  assert.equal(r(1n, alu64('lsh', 'r0', 65)), 2n);
  assert.equal(r(1n, alu32('lsh', 'r0', 33)), 2n);
  assert.equal(r(0xffffffff_ffffffffn, alu32('rsh', 'r0', 0)), 0xffffffffn);
  assert.equal(r(0x80000000n, alu32('arsh', 'r0', 4)), 0xf8000000n);
  assert.equal(r(0xffffffff_ffffffffn, alu32('add', 'r0', 1)), 0n);
  assert.equal(r(0xabcdn, alu32('mov', 'r0', -1)), 0xffffffffn, 'mov32 imm zero-extends');
  assert.equal(r(0xabcdn, alu64('mov', 'r0', -1)), M64, 'mov64 imm sign-extends');
});

test('movsx sign-extends 8/16/32 bits (64-bit) and 8/16 bits (32-bit, zero-extended after)', () => {
  const cases: [boolean, 8 | 16 | 32, bigint, bigint][] = [
    [true, 8, 0x80n, u64(-128n)],
    [true, 8, 0x17fn, 0x7fn],
    [true, 16, 0x8000n, u64(-0x8000n)],
    [true, 32, 0x1_8000_0000n, u64(-0x80000000n)],
    [true, 32, 0xffff_ffff_7fff_ffffn, 0x7fffffffn],
    [false, 8, 0xffn, 0xffffffffn],
    [false, 16, 0xffff_8001n, 0xffff8001n],
    [false, 16, 0x7001n, 0x7001n],
  ];
  for (const [wide, bits, input, want] of cases) {
    assert.equal(
      run(ld64('r1', input), movsx(wide, bits, 'r0', 'r1'), exit()),
      want,
      `movsx${wide ? 64 : 32} ${bits} ${input}`,
    );
  }
});

test('byte order: le/be 16/32/64 and bswap', () => {
  const v = 0x1122334455667788n;
  const r = (...rest: Instruction[]) => run(ld64('r0', v), ...rest, exit());
  assert.equal(r(endian('le', 16, 'r0')), 0x7788n);
  assert.equal(r(endian('le', 32, 'r0')), 0x55667788n);
  assert.equal(r(endian('le', 64, 'r0')), v);
  assert.equal(r(endian('be', 16, 'r0')), 0x8877n);
  assert.equal(r(endian('be', 32, 'r0')), 0x88776655n);
  assert.equal(r(endian('be', 64, 'r0')), 0x8877665544332211n);
  assert.equal(r(endian('bswap', 16, 'r0')), 0x8877n);
  assert.equal(r(endian('bswap', 32, 'r0')), 0x88776655n);
  assert.equal(r(endian('bswap', 64, 'r0')), 0x8877665544332211n);
});
