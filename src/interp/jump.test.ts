// Conditional and unconditional jumps (RFC 9669 §4.3): every JMP and JMP32 condition against a
// BigInt model, register and immediate forms, plus ja, gotol and backward loops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import type { Instruction, JmpCond } from '../isa/index.js';
import { alu64, exit, gotol, ja, jmp, ld64, mov } from './test-builders.js';

function model(cond: JmpCond, a: bigint, b: bigint, wide: boolean): boolean {
  const bits = wide ? 64 : 32;
  const x = BigInt.asUintN(bits, a);
  const y = BigInt.asUintN(bits, b);
  const sx = BigInt.asIntN(bits, a);
  const sy = BigInt.asIntN(bits, b);
  switch (cond) {
    case 'jeq':
      return x === y;
    case 'jne':
      return x !== y;
    case 'jset':
      return (x & y) !== 0n;
    case 'jgt':
      return x > y;
    case 'jge':
      return x >= y;
    case 'jlt':
      return x < y;
    case 'jle':
      return x <= y;
    case 'jsgt':
      return sx > sy;
    case 'jsge':
      return sx >= sy;
    case 'jslt':
      return sx < sy;
    case 'jsle':
      return sx <= sy;
  }
}

const CONDS: JmpCond[] = ['jeq', 'jne', 'jset', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle'];
const VALUES = [
  0n,
  1n,
  2n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x1_0000_0000n,
  0x1_0000_0001n,
  0xffffffff_00000001n,
  0x7fffffff_ffffffffn,
  0x80000000_00000000n,
  0xffffffff_ffffffffn,
  0xffffffff_fffffffen,
  0x00000001_ffffffffn,
];

const taken = (...program: Instruction[]): boolean => {
  const r0 = new Interpreter(program).run().r0;
  assert.ok(r0 === 0n || r0 === 1n);
  return r0 === 1n;
};

for (const wide of [true, false]) {
  test(`${wide ? 'JMP' : 'JMP32'}: every condition, register operand`, () => {
    for (const cond of CONDS)
      for (const a of VALUES)
        for (const b of VALUES) {
          const got = taken(
            ld64('r1', a),
            ld64('r2', b),
            jmp(cond, 'r1', 'r2', 2, !wide),
            mov('r0', 0),
            exit(),
            mov('r0', 1),
            exit(),
          );
          assert.equal(got, model(cond, a, b, wide), `${cond}${wide ? '' : '32'} ${a} ${b}`);
        }
  });
  test(`${wide ? 'JMP' : 'JMP32'}: every condition, immediate operand (sign-extended)`, () => {
    for (const cond of CONDS)
      for (const a of VALUES)
        for (const imm of [0, 1, -1, -2, 0x7fffffff, -0x80000000]) {
          const got = taken(
            ld64('r1', a),
            jmp(cond, 'r1', imm, 2, !wide),
            mov('r0', 0),
            exit(),
            mov('r0', 1),
            exit(),
          );
          assert.equal(got, model(cond, a, BigInt.asUintN(64, BigInt(imm)), wide), `${cond} ${a} imm ${imm}`);
        }
  });
}

test('ja and gotol jump relative to the next slot; lddw counts two slots', () => {
  assert.equal(new Interpreter([ja(1), exit(), mov('r0', 7), exit()]).run().r0, 7n);
  assert.equal(new Interpreter([gotol(3), ld64('r0', 1n), exit(), mov('r0', 9), exit()]).run().r0, 9n);
  assert.equal(new Interpreter([ja(2), ld64('r0', 5n), mov('r0', 3), exit()]).run().r0, 3n);
});

test('a backward loop runs the right number of times and counts its steps', () => {
  const vm = new Interpreter([
    mov('r0', 0),
    mov('r1', 10),
    alu64('add', 'r0', 2),
    alu64('sub', 'r1', 1),
    jmp('jne', 'r1', 0, -3),
    exit(),
  ]);
  const { r0, steps } = vm.run();
  assert.equal(r0, 20n);
  assert.equal(steps, 2 + 3 * 10 + 1);
});
