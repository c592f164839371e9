// The scalar domain on cases read from this kernel's level-2 log (Linux 6.18): each expected
// string is what the kernel printed for the same instruction on the same input, so the transfer
// function, the bounds sync and the log text are checked together.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScalar } from '../../../test/gen/scalar-log.js';
import {
  aluFork,
  aluScalar,
  branchTaken,
  endianScalar,
  formatScalar,
  refineBranch,
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarWithin,
  truncateScalar,
} from './index.js';

const K = (v: number | bigint) => scalarConst(BigInt(v));
const alu64 = (op: Parameters<typeof aluScalar>[0], d: Scalar, s: Scalar) => aluScalar(op, true, d, s);
const alu32 = (op: Parameters<typeof aluScalar>[0], d: Scalar, s: Scalar) => aluScalar(op, false, d, s);
const fmt = (s: Scalar) => formatScalar(s);
const u8 = alu64('and', SCALAR_UNKNOWN, K(255));

test('ALU results and their log text', () => {
  assert.equal(fmt(u8), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))');
  const plus10 = alu64('add', u8, K(10));
  assert.equal(
    fmt(plus10),
    'scalar(smin=umin=smin32=umin32=10,smax=umax=smax32=umax32=265,var_off=(0x0; 0x1ff))',
  );
  assert.equal(
    fmt(alu32('div', SCALAR_UNKNOWN, K(3))),
    'scalar()',
    'w7 /= 3: unknown, not even zero-extended',
  );
  const le100 = refineBranch('jgt', true, plus10, K(100), false)![0];
  assert.equal(
    fmt(le100),
    'scalar(smin=umin=smin32=umin32=10,smax=umax=smax32=umax32=100,var_off=(0x0; 0x7f))',
  );
  assert.equal(
    fmt(alu64('neg', le100, le100)),
    'scalar(smin=smin32=-100,smax=smax32=-10,umin=0xffffffffffffff9c,umax=0xfffffffffffffff6,' +
      'umin32=0xffffff9c,umax32=0xfffffff6,var_off=(0xffffffffffffff80; 0x7f))',
  );
  assert.equal(fmt(K(-70000)), '0xfffffffffffeee90');
  assert.equal(formatScalar(K(-1), { precise: true }), 'P-1');
  const m = alu32('mul', alu64('mul', u8, K(3)), K(5));
  assert.equal(fmt(m), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=3825,var_off=(0x0; 0xfff))');
  const sh = alu64('arsh', alu64('lsh', m, K(3)), K(2));
  assert.equal(fmt(sh), 'scalar(smin=smin32=0,smax=umax=smax32=umax32=7650,var_off=(0x0; 0x1ffe))');
  assert.equal(fmt(alu64('mod', u8, K(7))), 'scalar()');
});

test('byte order: le truncates, be and bswap move the known bits', () => {
  const x = alu64('or', alu64('and', SCALAR_UNKNOWN, K(0xff0)), K(1));
  assert.equal(fmt(endianScalar('le', 16, x)), fmt(x));
  assert.equal(
    fmt(endianScalar('be', 16, x)),
    'scalar(smin=umin=smin32=umin32=256,smax=umax=smax32=umax32=0xf10f,var_off=(0x100; 0xf00f))',
  );
  assert.equal(
    fmt(endianScalar('bswap', 32, x)),
    'scalar(smin=umin=umin32=0x1000000,smax=umax=umax32=0xf10f0000,smin32=0x81000000,smax32=0x710f0000,' +
      'var_off=(0x1000000; 0xf00f0000))',
  );
  assert.equal(
    fmt(endianScalar('be', 64, x)),
    'scalar(smin=0x8100000000000000,smax=0x710f000000000000,umin=0x100000000000000,umax=0xf10f000000000000,' +
      'smin32=0,smax32=umax32=0,var_off=(0x100000000000000; 0xf00f000000000000))',
  );
  assert.equal(fmt(endianScalar('le', 16, K(0x1122334455667788n))), '30600');
});

test('the kernel log text parses back to the same scalar', () => {
  for (const s of [u8, K(-70000), SCALAR_UNKNOWN, alu64('neg', u8, u8), truncateScalar(SCALAR_UNKNOWN, 4)])
    assert.deepEqual(parseScalar(formatScalar(s)), s);
});

test('branches: settled, narrowed, dead', () => {
  assert.equal(branchTaken('jgt', true, u8, K(300)), false);
  assert.equal(branchTaken('jle', true, u8, K(255)), true);
  assert.equal(branchTaken('jset', true, u8, K(0x100)), false);
  assert.equal(branchTaken('jeq', false, K(0x1_0000_0005n), K(5)), true, 'jmp32 compares the low words');
  assert.equal(branchTaken('jgt', true, u8, K(100)), undefined);
  const [gt] = refineBranch('jgt', true, u8, K(100), true)!;
  assert.equal(
    fmt(gt),
    'scalar(smin=umin=smin32=umin32=101,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
  );
  // A tnum with two members, {0x7fff, 0xffff}, below 0xf0f0: one member is left, a constant.
  const two = alu64('or', alu64('and', SCALAR_UNKNOWN, K(0x8000)), K(0x7fff));
  assert.equal(fmt(refineBranch('jlt', true, two, K(0xf0f0), true)![0]), '32767');
  // r > r narrows one register through both roles (as Linux 6.18 does on this dead edge).
  assert.equal(
    fmt(refineBranch('jsgt', false, u8, u8, true, true)![0]),
    fmt(refineBranch('jslt', false, u8, u8, true, true)![0]),
  );
  assert.equal(refineBranch('jeq', true, u8, K(0x100), true), null, 'no member equals 0x100');
});

test('aluFork: the splits the kernel logged for (x s>> 63) & K and its relatives', () => {
  const minus1or0 = alu64('arsh', SCALAR_UNKNOWN, K(63));
  assert.equal(fmt(minus1or0), 'scalar(smin=smin32=-1,smax=smax32=0)');
  const [first, second] = aluFork('or', minus1or0, K(4660))!;
  assert.deepEqual([fmt(alu64('or', first, K(4660))), fmt(alu64('or', second, K(4660)))], ['-1', '4660']);
  // w7 s>>= 31 then a 64-bit OR: the low word is split, the upper word stays 0.
  const low = alu32('arsh', SCALAR_UNKNOWN, K(31));
  const [a, b] = aluFork('or', low, K(4660))!;
  assert.deepEqual([fmt(alu64('or', a, K(4660))), fmt(alu64('or', b, K(4660)))], ['0xffffffff', '4660']);
  assert.equal(aluFork('xor', minus1or0, K(4660)), null, 'only AND and OR split');
  assert.equal(aluFork('and', minus1or0, SCALAR_UNKNOWN), null, 'only with a constant');
  const lowConst = alu64('or', alu64('and', SCALAR_UNKNOWN, K(-0x100000000)), K(5));
  assert.equal(aluFork('or', minus1or0, lowConst), null, 'a constant low word alone does not split');
});

test('a movsx without a valid width is refused as an invalid instruction', () => {
  assert.throws(() => aluScalar('movsx', true, u8, u8), { code: 'INVALID_INSTRUCTION' });
  assert.throws(() => aluScalar('movsx', false, u8, u8, 32), { code: 'INVALID_INSTRUCTION' });
});

test('within: the pruning rule', () => {
  assert.ok(scalarWithin(SCALAR_UNKNOWN, u8));
  assert.ok(!scalarWithin(u8, SCALAR_UNKNOWN));
  assert.ok(scalarWithin(u8, K(7)));
  assert.ok(!scalarWithin(K(7), u8));
  assert.ok(!scalarWithin(alu64('and', SCALAR_UNKNOWN, K(0xfe)), K(7)), 'in range but bit 0 is known 0');
});
