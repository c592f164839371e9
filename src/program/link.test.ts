// The linker: subprograms appended once, call and function-pointer offsets fixed up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadError } from '../errors.js';
import { type Instruction, insn, lddw } from '../isa/instruction.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, OP_CALL, OP_EXIT } from '../isa/opcodes.js';
import { type FunctionUnit, linkProgram } from './link.js';

const call = (target: string): Instruction => ({
  ...insn(OP_CALL, 0, BPF_PSEUDO_CALL, 0, -1),
  reference: target,
});
const exit = insn(OP_EXIT, 0, 0, 0, 0);
const mov = (imm: number): Instruction => insn(0xb7, 0, 0, 0, imm);
const fn = (name: string, instructions: Instruction[], btfFunc?: number): FunctionUnit =>
  btfFunc === undefined
    ? { name, sectionName: '.text', instructions, lineInfo: [] }
    : {
        name,
        sectionName: '.text',
        instructions,
        lineInfo: [{ insnOff: 0, file: 'x.c', text: name, line: btfFunc, column: 1 }],
        btfFunc,
      };

test('appends callees once, breadth-first, and fixes call offsets (target = pc + imm + 1)', () => {
  const units = new Map<string, FunctionUnit>([
    ['main', fn('main', [call('a'), call('b'), call('a'), exit], 1)],
    ['a', fn('a', [mov(1), call('b'), exit], 2)],
    ['b', fn('b', [mov(2), exit], 3)],
    ['unused', fn('unused', [exit], 4)],
  ]);
  const p = linkProgram('main', units);
  // Layout: main @0 (4 insns), a @4 (3), b @7 (2).
  assert.equal(p.instructions.length, 9);
  assert.deepEqual(
    p.instructions.map((i) => i.symbol),
    ['main', undefined, undefined, undefined, 'a', undefined, undefined, 'b', undefined],
  );
  assert.equal(p.instructions[0]!.imm, 4 - 0 - 1);
  assert.equal(p.instructions[1]!.imm, 7 - 1 - 1);
  assert.equal(p.instructions[2]!.imm, 4 - 2 - 1);
  assert.equal(p.instructions[5]!.imm, 7 - 5 - 1);
  assert.deepEqual(
    p.funcInfo.map((f) => [f.name, f.insnOff, f.typeId]),
    [
      ['main', 0, 1],
      ['a', 4, 2],
      ['b', 7, 3],
    ],
  );
  assert.deepEqual(
    p.lineInfo.map((l) => l.insnOff),
    [0, 4, 7],
  );
});

test('counts lddw as two slots and links callback addresses (BPF_PSEUDO_FUNC)', () => {
  const cbLoad: Instruction = { ...lddw(2, 0n, BPF_PSEUDO_FUNC), reference: 'cb' };
  const units = new Map<string, FunctionUnit>([
    ['main', fn('main', [lddw(1, 5n), cbLoad, call('cb'), exit])],
    ['cb', fn('cb', [mov(0), exit])],
  ]);
  const p = linkProgram('main', units);
  // Slots: lddw 0-1, lddw 2-3, call 4, exit 5, cb @6.
  assert.equal(p.instructions[1]!.imm, 6 - 2 - 1);
  assert.equal(p.instructions[2]!.imm, 6 - 4 - 1);
  assert.equal(p.instructions[4]!.symbol, 'cb');
});

test('recursion links each function once; a missing callee is a LoadError', () => {
  const units = new Map<string, FunctionUnit>([['r', fn('r', [call('r'), exit])]]);
  const p = linkProgram('r', units);
  assert.equal(p.instructions.length, 2);
  assert.equal(p.instructions[0]!.imm, -1);
  const broken = new Map<string, FunctionUnit>([['m', fn('m', [call('nowhere'), exit])]]);
  assert.throws(
    () => linkProgram('m', broken),
    (e: unknown) => e instanceof LoadError && /nowhere/.test(e.message),
  );
});
