// fast-check arbitraries for control-flow-heavy programs: random jumps (ja, gotol, jeq), local
// calls, callback addresses, tail calls and exits with small offsets, ending in an exit. Some are
// structurally invalid on purpose (the CFG must refuse them cleanly); no data flow is meaningful.

import fc from 'fast-check';
import { type Instruction, insn, lddw, op as O, slots } from '../../src/isa/index.js';

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
 * and callback target folded into the program (targets drawn at ±6 fall outside it about half the
 * time, and the kernel refuses those at load: "jump out of range", "call to invalid
 * destination"); the eighth keeps its targets as drawn, so the CFG's refusals stay exercised.
 */
export const arbFlowProgram = (max = 24): fc.Arbitrary<Instruction[]> =>
  fc
    .tuple(fc.array(arbFlowInstruction, { minLength: 0, maxLength: max - 1 }), fc.nat(7))
    .map(([body, keep]) => {
      const program = [...body, insn(O.OP_EXIT, 0, 0, 0, 0)];
      return keep === 0 ? program : withTargetsInside(program);
    });

/** The program with each relative target moved into [0, slots) (modulo the slot count). */
function withTargetsInside(program: readonly Instruction[]): Instruction[] {
  const total = program.reduce((n, i) => n + slots(i), 0);
  const inside = (pc: number, rel: number) => ((((pc + 1 + rel) % total) + total) % total) - pc - 1;
  let pc = 0;
  return program.map((i) => {
    const at = pc;
    pc += slots(i);
    const jump = i.op === O.OP_JA || i.op === (O.BPF_JMP | O.BPF_JEQ | O.BPF_K);
    if (jump) return { ...i, off: inside(at, i.off) };
    const call = i.op === O.OP_CALL && i.src === O.BPF_PSEUDO_CALL;
    const func = i.op === O.OP_LDDW && i.src === O.BPF_PSEUDO_FUNC;
    if (i.op === O.OP_GOTOL || call || func) return { ...i, imm: inside(at, i.imm) };
    return i;
  });
}
