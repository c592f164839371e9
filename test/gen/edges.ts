// A deterministic sweep of the places where ALU and jump semantics have edges (zero divisors,
// INT_MIN / -1, sign bits, 32-bit truncation): every register-operand ALU op, movsx, neg, byte
// swap and conditional jump over every pair of edge values, and immediate forms over edge imms.
// Same frame as the random programs, so the same runners and reports apply.

import {
  ALU_CODE,
  type AluOp,
  BINARY_ALU_OPS,
  type Instruction,
  insn,
  JMP_CODE,
  JMP_CONDITIONS,
  op as O,
} from '../../src/isa/index.js';
import type { GeneratedProgram } from './program.js';

export const EDGE_VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  (1n << 64n) - 1n, // -1
  (1n << 64n) - 2n, // -2
  1n << 63n, // INT64_MIN
  (1n << 63n) - 1n, // INT64_MAX
  0x80000000n, // INT32_MIN as a u32
  0x7fffffffn,
  0xffffffffn,
  0xffffffff80000000n, // INT32_MIN sign-extended
  0x100000000n,
  0x80n,
  0x8000n,
];
export const EDGE_IMMS: readonly number[] = [1, 2, -1, -2, 0x7fffffff, -0x80000000, 0x80, 0xffff];

const BINARY = BINARY_ALU_OPS;
const CONDS = JMP_CONDITIONS;
const signedOff = (aop: AluOp) => (aop === 'sdiv' || aop === 'smod' ? 1 : 0);

/**
 * r1 = a, r2 = b, r0 = 0, the rest a fixed pattern; zeroed stack. Opaque, so the JIT's code
 * decides (the verifier cannot fold the branch or know the operands).
 */
function frame(a: bigint, b: bigint, body: Instruction[]): GeneratedProgram {
  const regs = [0n, a, b, 3n, 4n, 5n, 6n, 7n, 8n, 9n];
  return { regs, stack: Array.from({ length: 8 }, () => 0n), body, opaque: true };
}

export function edgePrograms(): GeneratedProgram[] {
  const out: GeneratedProgram[] = [];
  for (const a of EDGE_VALUES) {
    for (const alu64 of [false, true]) {
      const cls = alu64 ? O.BPF_ALU64 : O.BPF_ALU;
      out.push(frame(a, 0n, [insn(cls | O.BPF_NEG, 1, 0, 0, 0)]));
      for (const ext of alu64 ? [8, 16, 32] : [8, 16])
        out.push(frame(0n, a, [insn(cls | O.BPF_MOV | O.BPF_X, 1, 2, ext, 0)]));
      for (const aop of BINARY) {
        for (const imm of EDGE_IMMS) {
          const shift = aop === 'lsh' || aop === 'rsh' || aop === 'arsh';
          const k = shift ? (imm >>> 0) % (alu64 ? 64 : 32) : imm;
          out.push(frame(a, 0n, [insn(cls | ALU_CODE[aop] | O.BPF_K, 1, 0, signedOff(aop), k)]));
        }
        for (const b of EDGE_VALUES)
          out.push(frame(a, b, [insn(cls | ALU_CODE[aop] | O.BPF_X, 1, 2, signedOff(aop), 0)]));
      }
    }
    for (const bits of [16, 32, 64]) {
      out.push(frame(a, 0n, [insn(O.BPF_ALU | O.BPF_END | O.BPF_TO_LE, 1, 0, 0, bits)]));
      out.push(frame(a, 0n, [insn(O.BPF_ALU | O.BPF_END | O.BPF_TO_BE, 1, 0, 0, bits)]));
      out.push(frame(a, 0n, [insn(O.BPF_ALU64 | O.BPF_END, 1, 0, 0, bits)]));
    }
    // Conditional jumps: r0 stays 0 if taken, becomes 1 if not.
    const notTaken = insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 1);
    for (const jmp32 of [false, true]) {
      const cls = jmp32 ? O.BPF_JMP32 : O.BPF_JMP;
      for (const cond of CONDS) {
        for (const b of EDGE_VALUES)
          out.push(frame(a, b, [insn(cls | JMP_CODE[cond] | O.BPF_X, 1, 2, 1, 0), notTaken]));
        for (const imm of EDGE_IMMS)
          out.push(frame(a, 0n, [insn(cls | JMP_CODE[cond] | O.BPF_K, 1, 0, 1, imm), notTaken]));
      }
    }
  }
  return out;
}
