// The words and operator spellings both syntaxes use for ALU, jump, atomic and lddw-source
// variants, in one table per concept so the parsers and printers cannot disagree.
// Sources: LLVM BPFInstrInfo.td (pseudo-C), kernel/bpf/disasm.c, bpf_conformance's
// assembler and disassembler (mnemonics), RFC 9669 §4.4 (lddw source names).

import type { AluOp, AtomicOp, Bytes, JmpCond } from '../isa/index.js';

/** Pseudo-C compound assignment of each ALU operation (mov is `=`; neg has its own form). */
export const ALU_ASSIGN: Record<Exclude<AluOp, 'neg' | 'movsx'>, string> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: 's/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  mod: '%=',
  smod: 's%=',
  xor: '^=',
  mov: '=',
  arsh: 's>>=',
};

/** Pseudo-C comparison of each jump condition. */
export const JMP_OPERATOR: Record<JmpCond, string> = {
  jeq: '==',
  jgt: '>',
  jge: '>=',
  jset: '&',
  jne: '!=',
  jsgt: 's>',
  jsge: 's>=',
  jlt: '<',
  jle: '<=',
  jslt: 's<',
  jsle: 's<=',
};

/** Pseudo-C compound assignment of the non-fetching atomic operations. */
export const ATOMIC_ASSIGN: Record<'add' | 'or' | 'and' | 'xor', string> = {
  add: '+=',
  or: '|=',
  and: '&=',
  xor: '^=',
};

export const SIZE_NAME: Record<Bytes, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };
export const UNSIGNED_TYPE: Record<Bytes, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** RFC 9669 §4.4 names of the 64-bit immediate sources, index = src_reg. */
export const LDDW_SOURCE = [
  undefined,
  'map_by_fd',
  'map_val(map_by_fd)',
  'var_addr',
  'code_addr',
  'map_by_idx',
  'map_val(map_by_idx)',
] as const;

export const invert = <K extends string, V extends string>(r: Record<K, V>): Record<string, K> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [v, k])) as Record<string, K>;

export const ATOMIC_OPS: readonly AtomicOp[] = ['add', 'or', 'and', 'xor', 'xchg', 'cmpxchg'];
