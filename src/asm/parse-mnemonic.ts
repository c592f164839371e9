// Parses one line of mnemonic assembly, the syntax of uBPF and the bpf_conformance suite:
// `mov r0, 1`, `add32 r1, r2`, `ldxw r0, [r1+4]`, `stxdw [r10-8], r1`, `jgt r1, r2, +24`,
// `lddw r0, 0x1122334455667788`, `lock fetch add [r1], r2`, `call local func1`, `ja32 +5`.
// Registers may be written `r1` or `%r1`; `swap16` and `bswap16` are the same instruction.

import {
  ALU_CODE,
  type AluOp,
  atomicImm,
  BINARY_ALU_OPS,
  type Bytes,
  JMP_CODE,
  type JmpCond,
  lddw,
  op,
  SIZE_CODE,
} from '../isa/index.js';
import type { Cursor } from './cursor.js';
import { bracketMemory, callOperand, gotol, jumpStatement, jumpTarget } from './parse-common.js';
import { type Statement, stmt } from './statement.js';
import { ATOMIC_OPS, JMP_OPERATOR, LDDW_SOURCE, SIZE_NAME } from './words.js';

const SIZE_OF = Object.fromEntries(
  Object.entries(SIZE_NAME).map(([b, n]) => [n, Number(b) as Bytes]),
) as Record<string, Bytes>;
const ALU_WORDS = new Set<string>(BINARY_ALU_OPS);
const JMP_WORDS = new Set(Object.keys(JMP_OPERATOR));

const ALU_RE = /^([a-z]+?)(32)?$/;
const LOAD_RE = /^ldx(s?)(b|h|w|dw)$/;
const STORE_RE = /^(stx?)(b|h|w|dw)$/;
const PKT_RE = /^ld(abs|ind)(b|h|w)$/;
const ENDIAN_RE = /^(le|be|bswap|swap)(16|32|64)$/;
const MOVSX_RE = /^movsx(8|16|32)(32|64)?$/;

/** True if `word` begins a mnemonic line (used by syntax detection). */
export function isMnemonic(word: string): boolean {
  if (['exit', 'ja', 'ja32', 'call', 'callx', 'lock', 'lddw', 'neg', 'neg32'].includes(word)) return true;
  if (
    LOAD_RE.test(word) ||
    STORE_RE.test(word) ||
    PKT_RE.test(word) ||
    ENDIAN_RE.test(word) ||
    MOVSX_RE.test(word)
  )
    return true;
  const m = ALU_RE.exec(word);
  return m !== null && (ALU_WORDS.has(m[1]!) || JMP_WORDS.has(m[1]!));
}

export function parseMnemonic(c: Cursor): Statement {
  const t = c.name('a mnemonic');
  const s = instruction(c, t.text);
  c.end();
  return s;
}

function instruction(c: Cursor, word: string): Statement {
  const t = c.peek(-1);
  switch (word) {
    case 'exit':
      return stmt(op.OP_EXIT, 0, 0, 0, 0);
    case 'ja':
      return jumpStatement(op.OP_JA, 0, 0, 0, jumpTarget(c, 'off'));
    case 'ja32':
    case 'gotol':
      return gotol(jumpTarget(c, 'imm'));
    case 'call':
      return callOperand(c);
    case 'callx':
      return stmt(op.OP_CALLX, c.registerOf(false), 0, 0, 0);
    case 'lock':
      return atomic(c);
    case 'lddw':
      return wideLoad(c);
  }
  const load = LOAD_RE.exec(word);
  if (load !== null) {
    const bytes = SIZE_OF[load[2]!]!;
    if (load[1] === 's' && bytes === 8) c.error('there is no sign-extending 64-bit load (ldxsdw)', t);
    const dst = c.registerOf(false);
    c.expect(',');
    const mem = bracketMemory(c);
    return stmt(
      op.BPF_LDX | (load[1] ? op.BPF_MEMSX : op.BPF_MEM) | SIZE_CODE[bytes],
      dst,
      mem.base,
      mem.off,
      0,
    );
  }
  const store = STORE_RE.exec(word);
  if (store !== null) {
    const bytes = SIZE_OF[store[2]!]!;
    const mem = bracketMemory(c);
    c.expect(',');
    if (store[1] === 'stx')
      return stmt(op.BPF_STX | op.BPF_MEM | SIZE_CODE[bytes], mem.base, c.registerOf(false), mem.off, 0);
    return stmt(op.BPF_ST | op.BPF_MEM | SIZE_CODE[bytes], mem.base, 0, mem.off, c.imm32('an immediate'));
  }
  const pkt = PKT_RE.exec(word);
  if (pkt !== null) {
    const size = SIZE_CODE[SIZE_OF[pkt[2]!]!];
    if (pkt[1] === 'abs') return stmt(op.BPF_LD | op.BPF_ABS | size, 0, 0, 0, c.imm32('a packet offset'));
    const src = c.registerOf(false);
    const imm = c.accept(',') ? c.imm32('a packet offset') : 0;
    return stmt(op.BPF_LD | op.BPF_IND | size, 0, src, 0, imm);
  }
  const endian = ENDIAN_RE.exec(word);
  if (endian !== null) {
    const code =
      endian[1] === 'bswap' || endian[1] === 'swap'
        ? op.BPF_ALU64 | op.BPF_END
        : op.BPF_ALU | op.BPF_END | (endian[1] === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
    return stmt(code, c.registerOf(false), 0, 0, Number(endian[2]));
  }
  const movsx = MOVSX_RE.exec(word);
  if (movsx !== null) {
    const ext = Number(movsx[1]);
    const alu64 = movsx[2] !== '32';
    if (!alu64 && ext === 32)
      c.error('movsx3232 does not exist: sign-extending 32 bits needs a 64-bit destination', t);
    const dst = c.registerOf(false);
    c.expect(',');
    return stmt(
      (alu64 ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_MOV | op.BPF_X,
      dst,
      c.registerOf(false),
      ext,
      0,
    );
  }
  if (word === 'neg' || word === 'neg32') {
    return stmt((word === 'neg' ? op.BPF_ALU64 : op.BPF_ALU) | op.BPF_NEG, c.registerOf(false), 0, 0, 0);
  }
  const m = ALU_RE.exec(word);
  if (m !== null && ALU_WORDS.has(m[1]!)) {
    const name = m[1] as AluOp;
    const cls = m[2] ? op.BPF_ALU : op.BPF_ALU64;
    const off = name === 'sdiv' || name === 'smod' ? 1 : 0;
    const dst = c.registerOf(false);
    c.expect(',');
    if (c.peek().type === 'reg')
      return stmt(cls | ALU_CODE[name] | op.BPF_X, dst, c.registerOf(false), off, 0);
    return stmt(cls | ALU_CODE[name] | op.BPF_K, dst, 0, off, c.imm32('a register or an immediate'));
  }
  if (m !== null && JMP_WORDS.has(m[1]!)) {
    const cls = m[2] ? op.BPF_JMP32 : op.BPF_JMP;
    const code = JMP_CODE[m[1] as JmpCond];
    const dst = c.registerOf(false);
    c.expect(',');
    let src = 0;
    let imm = 0;
    let x: number = op.BPF_K;
    if (c.peek().type === 'reg') {
      src = c.registerOf(false);
      x = op.BPF_X;
    } else imm = c.imm32('a register or an immediate');
    c.expect(',');
    return jumpStatement(cls | code | x, dst, src, imm, jumpTarget(c, 'off'));
  }
  return c.error(`unknown instruction '${word}'`, t);
}

/** `lock [fetch] add[32] [r1+4], r2`, `lock xchg[32] ...`, `lock cmpxchg[32] ...` */
function atomic(c: Cursor): Statement {
  const fetch = c.accept('fetch');
  const t = c.name("an atomic operation ('add', 'or', 'and', 'xor', 'xchg', 'cmpxchg')");
  const m = /^([a-z]+?)(32)?$/.exec(t.text);
  const name = m?.[1] as (typeof ATOMIC_OPS)[number] | undefined;
  if (name === undefined || !ATOMIC_OPS.includes(name)) {
    return c.fail("an atomic operation ('add', 'or', 'and', 'xor', 'xchg', 'cmpxchg')", t);
  }
  const bytes: Bytes = m![2] ? 4 : 8;
  const mem = bracketMemory(c);
  c.expect(',');
  const src = c.registerOf(false);
  const always = name === 'xchg' || name === 'cmpxchg';
  return stmt(
    op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[bytes],
    mem.base,
    src,
    mem.off,
    atomicImm(name, fetch || always),
  );
}

/** `lddw r1, 0x1122334455667788`, or a source by its RFC 9669 §4.4 name: `map_by_fd(3)`. */
function wideLoad(c: Cursor): Statement {
  const dst = c.registerOf(false);
  c.expect(',');
  if (c.peek().type === 'name') {
    const fnTok = c.next();
    let fn = fnTok.text;
    let wrapped = false;
    if (fn === 'map_val') {
      c.expect('(');
      fn = `map_val(${c.name("'map_by_fd' or 'map_by_idx'").text})`;
      wrapped = true;
    }
    const src = LDDW_SOURCE.indexOf(fn as never);
    if (src <= 0) {
      return c.fail(
        "a 64-bit immediate or a source ('map_by_fd', 'map_val(map_by_fd(..))', 'var_addr', 'code_addr', 'map_by_idx', 'map_val(map_by_idx(..))')",
        fnTok,
      );
    }
    c.expect('(');
    let imm = 0;
    let reference: string | undefined;
    if (c.peek().type === 'name') reference = c.next().text;
    else imm = c.imm32('a map fd, index or id');
    c.expect(')');
    let hi = 0;
    if (wrapped) {
      c.expect(')');
      if (c.accept('+')) hi = c.imm32('a map value offset');
    }
    const insn = { ...lddw(dst, 0n, src), imm, hi };
    return { insn: reference === undefined ? insn : { ...insn, reference } };
  }
  const vt = c.peek();
  const v = c.bigNumber('a 64-bit immediate');
  if (v < -(1n << 63n) || v >= 1n << 64n) c.error('64-bit immediate out of range', vt);
  return { insn: { ...lddw(dst, v) } };
}
