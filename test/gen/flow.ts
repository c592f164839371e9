// fast-check arbitraries for control-flow-heavy programs: random jumps (ja, gotol, jeq), local
// calls, callback addresses, tail calls and exits with small offsets, ending in an exit. Some are
// structurally invalid on purpose (the CFG must refuse them cleanly); no data flow is meaningful.

import fc from 'fast-check';
import { type Instruction, insn, lddw, op as O } from '../../src/isa/index.js';
import { mostlyWellFormed } from './targets.js';

const small = fc.integer({ min: -6, max: 6 });

export const arbFlowInstruction: fc.Arbitrary<Instruction> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 1)) },
  { weight: 2, arbitrary: fc.constant(insn(O.OP_EXIT, 0, 0, 0, 0)) },
  { weight: 2, arbitrary: small.map((off) => insn(O.OP_JA, 0, 0, off, 0)) },
  { weight: 1, arbitrary: small.map((imm) => insn(O.OP_GOTOL, 0, 0, 0, imm)) },
  { weight: 3, arbitrary: small.map((off) => insn(O.BPF_JMP | O.BPF_JEQ | O.BPF_K, 0, 0, off, 0)) },
  { weight: 1, arbitrary: small.map((imm) => insn(O.OP_CALL, 0, O.BPF_PSEUDO_CALL, 0, imm)) },
  { weight: 1, arbitrary: fc.constant(insn(O.OP_CALL, 0, 0, 0, 12)) },
  { weight: 1, arbitrary: fc.constant(lddw(1, 7n)) },
  { weight: 1, arbitrary: small.map((imm) => ({ ...lddw(2, 0n, O.BPF_PSEUDO_FUNC), imm })) },
  { weight: 1, arbitrary: fc.constant(insn(O.OP_CALLX, 3, 0, 0, 0)) },
);

/**
 * Random programs of 1 to max instructions, the last an exit. Seven in eight have every jump, call
 * and callback target folded into a well-formed graph (targets.ts; drawn at ±6 they fall outside
 * it about half the time, and the kernel refuses those at load: "jump out of range", "call to
 * invalid destination"); the eighth keeps its targets as drawn, so the CFG's refusals stay
 * exercised.
 */
export const arbFlowProgram = (max = 24): fc.Arbitrary<Instruction[]> =>
  mostlyWellFormed(
    fc
      .array(arbFlowInstruction, { minLength: 0, maxLength: max - 1 })
      .map((body) => [...body, insn(O.OP_EXIT, 0, 0, 0, 0)]),
  );
