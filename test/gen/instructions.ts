// fast-check generators of valid instructions and programs, shared by the asm property tests.
// Test support, not tests: it lives in test/ because src/ may not import npm packages. Fields are drawn from values that make each opcode valid often,
// then filtered through classify(), so every Kind the ISA has turns up.

import fc from 'fast-check';
import { InvalidInstructionError } from '../../src/errors.js';
import { classify, type Instruction, insn } from '../../src/isa/index.js';

// Opcodes with at least one valid field assignment (the isa test counts 126).
const VALID_OPS: number[] = [];
for (let op = 0; op < 256; op++) {
  outer: for (const src of [0, 1, 2])
    for (const off of [0, 1, 8])
      for (const imm of [0, 16, 0x01, 0xe1])
        try {
          classify(op === 0x18 ? { ...insn(op, 0, src, off, imm), hi: 0 } : insn(op, 0, src, off, imm));
          VALID_OPS.push(op);
          break outer;
        } catch {
          /* not with these fields */
        }
}

const special = [0, 1, 8, 16, 32, 64, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, -1];

export const arbInstruction: fc.Arbitrary<Instruction> = fc
  .record({
    op: fc.constantFrom(...VALID_OPS),
    dst: fc.integer({ min: 0, max: 10 }),
    src: fc.oneof(
      { arbitrary: fc.constant(0), weight: 2 },
      fc.constantFrom(1, 2),
      fc.integer({ min: 0, max: 10 }),
    ),
    off: fc.oneof(
      { arbitrary: fc.constant(0), weight: 3 },
      fc.constantFrom(1, 8, 16, 32, -1),
      fc.integer({ min: -0x8000, max: 0x7fff }),
    ),
    imm: fc.oneof(
      { arbitrary: fc.constant(0), weight: 3 },
      fc.constantFrom(...special),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    ),
    hi: fc.oneof(fc.constant(0), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  })
  .map(({ op, dst, src, off, imm, hi }) =>
    repair(op === 0x18 ? { ...insn(op, dst, src, off, imm), hi } : insn(op, dst, src, off, imm)),
  )
  .filter((i): i is Instruction => i !== undefined);

// Values that make an imm valid for byte swaps (16/32/64) and atomics (op | fetch).
const IMM_FIXES = [0, 16, 32, 64, 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];

/** Clears or replaces the field classify() names until the instruction is valid (or gives up). */
function repair(start: Instruction): Instruction | undefined {
  let i = start;
  for (let n = 0; n < 6; n++) {
    try {
      classify(i);
      return i;
    } catch (e) {
      const field = e instanceof InvalidInstructionError ? e.field : undefined;
      if (field === undefined) return undefined;
      if (field === 'imm') i = { ...i, imm: IMM_FIXES[(Math.abs(start.imm) + n) % IMM_FIXES.length]! };
      else i = { ...i, [field]: 0 };
    }
  }
  return undefined;
}

export const arbProgram = (max = 40): fc.Arbitrary<Instruction[]> =>
  fc.array(arbInstruction, { minLength: 1, maxLength: max });
