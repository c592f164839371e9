// Decodes an instruction record into its kind: a closed variant that every engine
// (interpreter, verifier, JIT, disassembler) switches over exhaustively.
// `classify` rejects unknown opcodes always, and reserved fields that are not zero in strict
// mode, naming the field as the kernel's verifier does ("uses reserved fields").

import { assertNever, InvalidInstructionError } from '../errors.js';
import type { Instruction } from './instruction.js';
import * as O from './opcodes.js';

export type AluOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'sdiv'
  | 'or'
  | 'and'
  | 'lsh'
  | 'rsh'
  | 'neg'
  | 'mod'
  | 'smod'
  | 'xor'
  | 'mov'
  | 'movsx'
  | 'arsh';
export type JmpCond =
  | 'jeq'
  | 'jgt'
  | 'jge'
  | 'jset'
  | 'jne'
  | 'jsgt'
  | 'jsge'
  | 'jlt'
  | 'jle'
  | 'jslt'
  | 'jsle';
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
export type Bytes = 1 | 2 | 4 | 8;

export type Kind =
  /** ALU (32-bit, zero-extends) or ALU64. `ext` is the movsx source width in bits. */
  | {
      readonly kind: 'alu';
      readonly alu64: boolean;
      readonly op: AluOp;
      readonly reg: boolean;
      readonly ext?: 8 | 16 | 32;
    }
  /** Byte swap: le/be (class ALU) or the unconditional bswap (class ALU64). */
  | { readonly kind: 'endian'; readonly order: 'le' | 'be' | 'bswap'; readonly bits: 16 | 32 | 64 }
  /** Conditional jump, comparing 64 bits (JMP) or the low 32 bits (JMP32). */
  | { readonly kind: 'jmp'; readonly jmp32: boolean; readonly cond: JmpCond; readonly reg: boolean }
  /** Unconditional jump: `ja +off` (16-bit offset) or `gotol +imm` (32-bit, class JMP32). */
  | { readonly kind: 'ja'; readonly long: boolean }
  | { readonly kind: 'call'; readonly target: 'helper' | 'local' | 'kfunc' }
  /** Indirect call through a register (LLVM `callx`); the register is in dst. */
  | { readonly kind: 'callx' }
  | { readonly kind: 'exit' }
  /** 64-bit immediate load; `pseudo` is src_reg (0 plain, 1 map fd, 2 map value, 3 btf id, 4 func, 5 map idx, 6 map idx value). */
  | { readonly kind: 'lddw'; readonly pseudo: number }
  /** Legacy packet access from socket filters: r0 = ntoh(*(skb->data + imm [+ src])). */
  | { readonly kind: 'ldpkt'; readonly indirect: boolean; readonly bytes: 1 | 2 | 4 }
  | { readonly kind: 'load'; readonly bytes: Bytes; readonly signed: boolean }
  | { readonly kind: 'store'; readonly bytes: Bytes; readonly reg: boolean }
  | { readonly kind: 'atomic'; readonly op: AtomicOp; readonly fetch: boolean; readonly bytes: 4 | 8 };

const ALU_OPS: Record<number, AluOp> = {
  [O.BPF_ADD]: 'add',
  [O.BPF_SUB]: 'sub',
  [O.BPF_MUL]: 'mul',
  [O.BPF_DIV]: 'div',
  [O.BPF_OR]: 'or',
  [O.BPF_AND]: 'and',
  [O.BPF_LSH]: 'lsh',
  [O.BPF_RSH]: 'rsh',
  [O.BPF_NEG]: 'neg',
  [O.BPF_MOD]: 'mod',
  [O.BPF_XOR]: 'xor',
  [O.BPF_MOV]: 'mov',
  [O.BPF_ARSH]: 'arsh',
};
const JMP_CONDS: Record<number, JmpCond> = {
  [O.BPF_JEQ]: 'jeq',
  [O.BPF_JGT]: 'jgt',
  [O.BPF_JGE]: 'jge',
  [O.BPF_JSET]: 'jset',
  [O.BPF_JNE]: 'jne',
  [O.BPF_JSGT]: 'jsgt',
  [O.BPF_JSGE]: 'jsge',
  [O.BPF_JLT]: 'jlt',
  [O.BPF_JLE]: 'jle',
  [O.BPF_JSLT]: 'jslt',
  [O.BPF_JSLE]: 'jsle',
};
const ATOMIC_OPS: Record<number, AtomicOp> = {
  [O.BPF_ADD]: 'add',
  [O.BPF_OR]: 'or',
  [O.BPF_AND]: 'and',
  [O.BPF_XOR]: 'xor',
  [O.BPF_XCHG & 0xf0]: 'xchg',
  [O.BPF_CMPXCHG & 0xf0]: 'cmpxchg',
};
const SIZE_BYTES: Record<number, Bytes> = { [O.BPF_W]: 4, [O.BPF_H]: 2, [O.BPF_B]: 1, [O.BPF_DW]: 8 };

/** ALU operations that take a source operand (all but neg and movsx), in opcode order. */
export const BINARY_ALU_OPS: readonly AluOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'sdiv',
  'or',
  'and',
  'lsh',
  'rsh',
  'mod',
  'smod',
  'xor',
  'mov',
  'arsh',
];
/** Every conditional jump, in opcode order. */
export const JMP_CONDITIONS: readonly JmpCond[] = Object.values(JMP_CONDS);

export const ALU_CODE: Record<AluOp, number> = {
  add: O.BPF_ADD,
  sub: O.BPF_SUB,
  mul: O.BPF_MUL,
  div: O.BPF_DIV,
  sdiv: O.BPF_DIV,
  or: O.BPF_OR,
  and: O.BPF_AND,
  lsh: O.BPF_LSH,
  rsh: O.BPF_RSH,
  neg: O.BPF_NEG,
  mod: O.BPF_MOD,
  smod: O.BPF_MOD,
  xor: O.BPF_XOR,
  mov: O.BPF_MOV,
  movsx: O.BPF_MOV,
  arsh: O.BPF_ARSH,
};
export const JMP_CODE: Record<JmpCond, number> = Object.fromEntries(
  Object.entries(JMP_CONDS).map(([k, v]) => [v, Number(k)]),
) as Record<JmpCond, number>;
export const ATOMIC_CODE: Record<AtomicOp, number> = {
  add: O.BPF_ADD,
  or: O.BPF_OR,
  and: O.BPF_AND,
  xor: O.BPF_XOR,
  xchg: O.BPF_XCHG,
  cmpxchg: O.BPF_CMPXCHG,
};
export const SIZE_CODE: Record<Bytes, number> = { 1: O.BPF_B, 2: O.BPF_H, 4: O.BPF_W, 8: O.BPF_DW };

export interface ClassifyOptions {
  /** Reject reserved fields that are not zero, as the kernel does. Default true. */
  readonly strict?: boolean;
  /** Slot index, used only to name the instruction in errors. */
  readonly pc?: number;
}

const hex = (n: number) => `0x${(n & 0xff).toString(16).padStart(2, '0')}`;

// Module-level rather than closures in classify: every load decodes every instruction, and a
// closure per check would be allocated on each call.
function bad(i: Instruction, pc: number | undefined, message: string, field?: string): never {
  throw new InvalidInstructionError(`${message} (opcode ${hex(i.op)})`, {
    ...(pc === undefined ? {} : { pc }),
    ...(field === undefined ? {} : { field }),
  });
}
function reserved(
  i: Instruction,
  pc: number | undefined,
  strict: boolean,
  field: 'dst' | 'src' | 'off' | 'imm',
): void {
  if (!strict) return;
  // Named reads, not i[field]: a keyed read is slow where it is not inlined.
  const v = field === 'dst' ? i.dst : field === 'src' ? i.src : field === 'off' ? i.off : i.imm;
  if (v !== 0) bad(i, pc, `reserved field ${field} must be 0, is ${v}`, field);
}
function reg(i: Instruction, pc: number | undefined, field: 'dst' | 'src'): void {
  const r = field === 'dst' ? i.dst : i.src;
  if (r < 0 || r > 10) bad(i, pc, `invalid register r${r} in ${field}`, field);
}

/** Decodes `i` into its Kind, or throws InvalidInstructionError. */
export function classify(i: Instruction, options: ClassifyOptions = {}): Kind {
  const strict = options.strict ?? true;
  const pc = options.pc;
  const op = i.op;
  switch (O.cls(op)) {
    case O.BPF_ALU:
    case O.BPF_ALU64: {
      const alu64 = O.cls(op) === O.BPF_ALU64;
      const byReg = O.src(op) === O.BPF_X;
      const c = O.code(op);
      reg(i, pc, 'dst');
      if (c === O.BPF_END) {
        if (alu64 && byReg) bad(i, pc, 'unknown opcode');
        reserved(i, pc, strict, 'src');
        reserved(i, pc, strict, 'off');
        if (i.imm !== 16 && i.imm !== 32 && i.imm !== 64)
          bad(i, pc, `byte swap width must be 16, 32 or 64, is ${i.imm}`, 'imm');
        return { kind: 'endian', order: alu64 ? 'bswap' : byReg ? 'be' : 'le', bits: i.imm as 16 | 32 | 64 };
      }
      const name = ALU_OPS[c];
      if (name === undefined) return bad(i, pc, 'unknown opcode');
      if (c === O.BPF_NEG) {
        if (byReg) bad(i, pc, 'unknown opcode');
        reserved(i, pc, strict, 'src');
        reserved(i, pc, strict, 'off');
        reserved(i, pc, strict, 'imm');
        return { kind: 'alu', alu64, op: 'neg', reg: false };
      }
      if (byReg) {
        reg(i, pc, 'src');
        reserved(i, pc, strict, 'imm');
      } else {
        reserved(i, pc, strict, 'src');
      }
      if ((c === O.BPF_DIV || c === O.BPF_MOD) && i.off === 1) {
        return { kind: 'alu', alu64, op: c === O.BPF_DIV ? 'sdiv' : 'smod', reg: byReg };
      }
      if (c === O.BPF_MOV && byReg && (i.off === 8 || i.off === 16 || (i.off === 32 && alu64))) {
        return { kind: 'alu', alu64, op: 'movsx', reg: true, ext: i.off as 8 | 16 | 32 };
      }
      if (i.off !== 0) {
        if (strict || c === O.BPF_DIV || c === O.BPF_MOD || c === O.BPF_MOV)
          bad(i, pc, `invalid offset ${i.off}`, 'off');
      }
      return { kind: 'alu', alu64, op: name, reg: byReg };
    }
    case O.BPF_JMP:
    case O.BPF_JMP32: {
      const jmp32 = O.cls(op) === O.BPF_JMP32;
      const byReg = O.src(op) === O.BPF_X;
      const c = O.code(op);
      if (c === O.BPF_JA) {
        if (byReg) bad(i, pc, 'unknown opcode');
        reserved(i, pc, strict, 'dst');
        reserved(i, pc, strict, 'src');
        if (jmp32) reserved(i, pc, strict, 'off');
        else reserved(i, pc, strict, 'imm');
        return { kind: 'ja', long: jmp32 };
      }
      if (c === O.BPF_CALL) {
        if (jmp32) bad(i, pc, 'unknown opcode');
        if (byReg) {
          reg(i, pc, 'dst');
          reserved(i, pc, strict, 'src');
          reserved(i, pc, strict, 'off');
          reserved(i, pc, strict, 'imm');
          return { kind: 'callx' };
        }
        reserved(i, pc, strict, 'dst');
        if (i.src === O.BPF_CALL_HELPER || i.src === O.BPF_PSEUDO_CALL) {
          reserved(i, pc, strict, 'off');
          return { kind: 'call', target: i.src === O.BPF_CALL_HELPER ? 'helper' : 'local' };
        }
        // kfunc calls keep the BTF fd index in off.
        if (i.src === O.BPF_PSEUDO_KFUNC_CALL) return { kind: 'call', target: 'kfunc' };
        return bad(i, pc, `invalid call source ${i.src}`, 'src');
      }
      if (c === O.BPF_EXIT) {
        if (jmp32 || byReg) bad(i, pc, 'unknown opcode');
        reserved(i, pc, strict, 'dst');
        reserved(i, pc, strict, 'src');
        reserved(i, pc, strict, 'off');
        reserved(i, pc, strict, 'imm');
        return { kind: 'exit' };
      }
      const cond = JMP_CONDS[c];
      if (cond === undefined) return bad(i, pc, 'unknown opcode');
      reg(i, pc, 'dst');
      if (byReg) {
        reg(i, pc, 'src');
        reserved(i, pc, strict, 'imm');
      } else {
        reserved(i, pc, strict, 'src');
      }
      return { kind: 'jmp', jmp32, cond, reg: byReg };
    }
    case O.BPF_LD: {
      const m = O.mode(op);
      const s = O.size(op);
      if (m === O.BPF_IMM && s === O.BPF_DW) {
        reg(i, pc, 'dst');
        reserved(i, pc, strict, 'off');
        if (i.src < 0 || i.src > O.BPF_PSEUDO_MAP_IDX_VALUE)
          bad(i, pc, `invalid lddw source ${i.src}`, 'src');
        if (i.hi === undefined) bad(i, pc, 'lddw without its second slot');
        if (strict && i.hi !== 0 && [1, 3, 4, 5].includes(i.src))
          bad(i, pc, 'reserved field imm of the second lddw slot must be 0', 'imm');
        return { kind: 'lddw', pseudo: i.src };
      }
      if ((m === O.BPF_ABS || m === O.BPF_IND) && s !== O.BPF_DW) {
        reserved(i, pc, strict, 'dst');
        reserved(i, pc, strict, 'off');
        if (m === O.BPF_ABS) reserved(i, pc, strict, 'src');
        else reg(i, pc, 'src');
        return { kind: 'ldpkt', indirect: m === O.BPF_IND, bytes: SIZE_BYTES[s] as 1 | 2 | 4 };
      }
      return bad(i, pc, 'unknown opcode');
    }
    case O.BPF_LDX: {
      const m = O.mode(op);
      const bytes = SIZE_BYTES[O.size(op)]!;
      if (m !== O.BPF_MEM && !(m === O.BPF_MEMSX && bytes !== 8)) return bad(i, pc, 'unknown opcode');
      reg(i, pc, 'dst');
      reg(i, pc, 'src');
      reserved(i, pc, strict, 'imm');
      return { kind: 'load', bytes, signed: m === O.BPF_MEMSX };
    }
    case O.BPF_ST: {
      if (O.mode(op) !== O.BPF_MEM) return bad(i, pc, 'unknown opcode');
      reg(i, pc, 'dst');
      reserved(i, pc, strict, 'src');
      return { kind: 'store', bytes: SIZE_BYTES[O.size(op)]!, reg: false };
    }
    case O.BPF_STX: {
      const m = O.mode(op);
      const bytes = SIZE_BYTES[O.size(op)]!;
      reg(i, pc, 'dst');
      reg(i, pc, 'src');
      if (m === O.BPF_MEM) {
        reserved(i, pc, strict, 'imm');
        return { kind: 'store', bytes, reg: true };
      }
      if (m === O.BPF_ATOMIC && (bytes === 4 || bytes === 8)) {
        const fetch = (i.imm & O.BPF_FETCH) !== 0;
        const name = (i.imm & ~0xf1) === 0 ? ATOMIC_OPS[i.imm & 0xf0] : undefined;
        if (name === undefined || ((name === 'xchg' || name === 'cmpxchg') && !fetch)) {
          return bad(i, pc, `unknown atomic operation 0x${(i.imm >>> 0).toString(16)}`, 'imm');
        }
        return { kind: 'atomic', op: name, fetch, bytes };
      }
      return bad(i, pc, 'unknown opcode');
    }
  }
  return bad(i, pc, 'unknown opcode');
}

/** The opcode byte of a kind (the inverse of classify, for builders and the assembler). */
export function opcodeOf(k: Kind): number {
  switch (k.kind) {
    case 'alu':
      return (k.alu64 ? O.BPF_ALU64 : O.BPF_ALU) | ALU_CODE[k.op] | (k.reg ? O.BPF_X : O.BPF_K);
    case 'endian':
      return k.order === 'bswap'
        ? O.BPF_ALU64 | O.BPF_END
        : O.BPF_ALU | O.BPF_END | (k.order === 'be' ? O.BPF_TO_BE : O.BPF_TO_LE);
    case 'jmp':
      return (k.jmp32 ? O.BPF_JMP32 : O.BPF_JMP) | JMP_CODE[k.cond] | (k.reg ? O.BPF_X : O.BPF_K);
    case 'ja':
      return k.long ? O.OP_GOTOL : O.OP_JA;
    case 'call':
      return O.OP_CALL;
    case 'callx':
      return O.OP_CALLX;
    case 'exit':
      return O.OP_EXIT;
    case 'lddw':
      return O.OP_LDDW;
    case 'ldpkt':
      return O.BPF_LD | (k.indirect ? O.BPF_IND : O.BPF_ABS) | SIZE_CODE[k.bytes];
    case 'load':
      return O.BPF_LDX | (k.signed ? O.BPF_MEMSX : O.BPF_MEM) | SIZE_CODE[k.bytes];
    case 'store':
      return (k.reg ? O.BPF_STX : O.BPF_ST) | O.BPF_MEM | SIZE_CODE[k.bytes];
    case 'atomic':
      return O.BPF_STX | O.BPF_ATOMIC | SIZE_CODE[k.bytes];
    default:
      return assertNever(k, 'instruction kind');
  }
}

/** The imm value an atomic kind encodes. */
export function atomicImm(op: AtomicOp, fetch: boolean): number {
  return ATOMIC_CODE[op] | (fetch ? O.BPF_FETCH : 0);
}
