// Small instruction builders for the interpreter's tests and benchmark: `alu64('add', 'r0', 1)`
// reads like the assembly it stands for. Not an assembler (that is asm/); registers are 'r0'-'r10'
// strings, numbers are immediates. Built on isa/'s insn, lddw and opcodeOf only.

import {
  type AluOp,
  type AtomicOp,
  atomicImm,
  type Bytes,
  type Instruction,
  insn,
  type JmpCond,
  lddw,
  op as O,
  opcodeOf,
} from '../isa/index.js';

export type Reg = `r${number}`;
export type Operand = Reg | number;

const isReg = (x: Operand): x is Reg => typeof x === 'string';
const num = (r: Reg): number => Number(r.slice(1));

function alu(alu64: boolean, op: AluOp, dst: Reg, src: Operand): Instruction {
  const reg = isReg(src);
  const off = op === 'sdiv' || op === 'smod' ? 1 : 0;
  const code = opcodeOf({ kind: 'alu', alu64, op, reg });
  return insn(code, num(dst), reg ? num(src) : 0, off, reg ? 0 : src);
}

export const alu64 = (op: AluOp, dst: Reg, src: Operand = 0): Instruction => alu(true, op, dst, src);
export const alu32 = (op: AluOp, dst: Reg, src: Operand = 0): Instruction => alu(false, op, dst, src);
export const mov = (dst: Reg, src: Operand): Instruction => alu64('mov', dst, src);
/** movsx: dst = (s<bits>)src, 64-bit or (alu64 false) 32-bit result. */
export const movsx = (alu64: boolean, bits: 8 | 16 | 32, dst: Reg, src: Reg): Instruction =>
  insn(opcodeOf({ kind: 'alu', alu64, op: 'mov', reg: true }), num(dst), num(src), bits, 0);
export const endian = (order: 'le' | 'be' | 'bswap', bits: 16 | 32 | 64, dst: Reg): Instruction =>
  insn(opcodeOf({ kind: 'endian', order, bits }), num(dst), 0, 0, bits);
export const ld64 = (dst: Reg, value: bigint, pseudo = 0): Instruction => lddw(num(dst), value, pseudo);

export function jmp(cond: JmpCond, dst: Reg, src: Operand, off: number, jmp32 = false): Instruction {
  const reg = isReg(src);
  return insn(opcodeOf({ kind: 'jmp', jmp32, cond, reg }), num(dst), reg ? num(src) : 0, off, reg ? 0 : src);
}
export const jmp32 = (cond: JmpCond, dst: Reg, src: Operand, off: number): Instruction =>
  jmp(cond, dst, src, off, true);
export const ja = (off: number): Instruction => insn(O.OP_JA, 0, 0, off, 0);
export const gotol = (imm: number): Instruction => insn(O.OP_GOTOL, 0, 0, 0, imm);

export const ldx = (bytes: Bytes, dst: Reg, src: Reg, off: number): Instruction =>
  insn(opcodeOf({ kind: 'load', bytes, signed: false }), num(dst), num(src), off, 0);
export const ldxs = (bytes: 1 | 2 | 4, dst: Reg, src: Reg, off: number): Instruction =>
  insn(opcodeOf({ kind: 'load', bytes, signed: true }), num(dst), num(src), off, 0);
export const st = (bytes: Bytes, dst: Reg, off: number, imm: number): Instruction =>
  insn(opcodeOf({ kind: 'store', bytes, reg: false }), num(dst), 0, off, imm);
export const stx = (bytes: Bytes, dst: Reg, off: number, src: Reg): Instruction =>
  insn(opcodeOf({ kind: 'store', bytes, reg: true }), num(dst), num(src), off, 0);
export const atomic = (
  bytes: 4 | 8,
  op: AtomicOp,
  fetch: boolean,
  dst: Reg,
  off: number,
  src: Reg,
): Instruction =>
  insn(opcodeOf({ kind: 'atomic', op, fetch, bytes }), num(dst), num(src), off, atomicImm(op, fetch));
export const ldabs = (bytes: 1 | 2 | 4, imm: number): Instruction =>
  insn(opcodeOf({ kind: 'ldpkt', indirect: false, bytes }), 0, 0, 0, imm);
export const ldind = (bytes: 1 | 2 | 4, src: Reg, imm: number): Instruction =>
  insn(opcodeOf({ kind: 'ldpkt', indirect: true, bytes }), 0, num(src), 0, imm);

export const call = (helper: number): Instruction => insn(O.OP_CALL, 0, O.BPF_CALL_HELPER, 0, helper);
export const callLocal = (imm: number): Instruction => insn(O.OP_CALL, 0, O.BPF_PSEUDO_CALL, 0, imm);
export const callx = (dst: Reg): Instruction => insn(O.OP_CALLX, num(dst), 0, 0, 0);
export const exit = (): Instruction => insn(O.OP_EXIT, 0, 0, 0, 0);
