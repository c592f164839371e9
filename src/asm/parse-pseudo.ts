// Parses one line of pseudo-C assembly: LLVM's BPF syntax (`r0 = *(u32 *)(r1 + 0x4)`,
// `if r1 > r2 goto +0x18 <LBB0_3>`, `r1 = atomic_fetch_add((u64 *)(r2 + 0x0), r1)`) and the
// kernel's print_bpf_insn() spellings (`(r1 +4)`, `goto pc+3`, `atomic64_xchg`, `call name#1`).

import { AsmError, NotSupportedError } from '../errors.js';
import {
  ALU_CODE,
  type AluOp,
  type AtomicOp,
  atomicImm,
  type Bytes,
  JMP_CODE,
  lddw,
  op,
  SIZE_CODE,
} from '../isa/index.js';
import type { Cursor, Register } from './cursor.js';
import { bareMemory, callOperand, gotol, jumpStatement, jumpTarget, parenMemory } from './parse-common.js';
import { type Statement, stmt } from './statement.js';
import { ALU_ASSIGN, ATOMIC_ASSIGN, invert, JMP_OPERATOR } from './words.js';

const ASSIGN_OP = invert(ALU_ASSIGN);
const COMPARE = invert(JMP_OPERATOR);
const ATOMIC_OP = invert(ATOMIC_ASSIGN);
const TYPE_BYTES: Record<string, { bytes: Bytes; signed: boolean }> = {
  u8: { bytes: 1, signed: false },
  u16: { bytes: 2, signed: false },
  u32: { bytes: 4, signed: false },
  u64: { bytes: 8, signed: false },
  s8: { bytes: 1, signed: true },
  s16: { bytes: 2, signed: true },
  s32: { bytes: 4, signed: true },
};

export interface PseudoContext {
  /** The kernel log's `(18)` prefix was given: `rN = 0x...` is an lddw, not a mov. */
  readonly wideLoad: boolean;
}

/** Words that start a pseudo-C line (besides a register or `*`). */
export const PSEUDO_WORDS = new Set(['if', 'goto', 'gotol', 'ld_pseudo']);

export function parsePseudo(c: Cursor, ctx: PseudoContext): Statement {
  const t = c.peek();
  let s: Statement;
  if (t.type === 'reg') s = assignment(c, ctx);
  else if (c.isOp('*')) s = store(c);
  else if (c.accept('exit')) s = stmt(op.OP_EXIT, 0, 0, 0, 0);
  else if (c.accept('goto')) s = jumpStatement(op.OP_JA, 0, 0, 0, jumpTarget(c, 'off'));
  else if (c.accept('gotol')) s = gotol(jumpTarget(c, 'imm'));
  else if (c.accept('call')) s = callOperand(c);
  else if (c.accept('callx')) s = stmt(op.OP_CALLX, c.registerOf(false), 0, 0, 0);
  else if (c.accept('if')) s = conditional(c);
  else if (c.isName('lock') && c.isOp('*', 1)) s = lock(c);
  else if (c.accept('ld_pseudo')) s = ldPseudo(c);
  else
    return c.fail(
      "an instruction (a register, '*', 'if', 'goto', 'gotol', 'call', 'callx', 'lock' or 'exit')",
    );
  c.end();
  return s;
}

/** `(u32 *)`: a pointer cast, giving the access size. */
function cast(c: Cursor, signedOk: boolean): { bytes: Bytes; signed: boolean } {
  c.expect('(', "'(' (a cast like (u32 *))");
  const t = c.name("a type ('u8', 'u16', 'u32', 'u64')");
  const ty = TYPE_BYTES[t.text];
  if (ty === undefined || (ty.signed && !signedOk) || (ty.signed && ty.bytes === 8)) {
    c.fail(signedOk ? "a type ('u8'-'u64', 's8'-'s32')" : "a type ('u8', 'u16', 'u32', 'u64')", t);
  }
  c.expect('*');
  c.expect(')');
  return ty;
}

function conditional(c: Cursor): Statement {
  const d = c.register();
  const cmpTok = c.peek();
  const cond = cmpTok.type === 'op' ? COMPARE[cmpTok.text] : undefined;
  if (cond === undefined)
    return c.fail("a comparison ('==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&')");
  c.next();
  const cls = d.wide32 ? op.BPF_JMP32 : op.BPF_JMP;
  let src = 0;
  let imm = 0;
  let x: number = op.BPF_K;
  if (c.peek().type === 'reg') {
    src = c.registerOf(d.wide32);
    x = op.BPF_X;
  } else {
    imm = c.imm32('a register or an immediate');
  }
  c.expect('goto');
  return jumpStatement(cls | JMP_CODE[cond] | x, d.reg, src, imm, jumpTarget(c, 'off'));
}

function store(c: Cursor): Statement {
  c.expect('*');
  const ty = cast(c, false);
  const m = parenMemory(c);
  c.expect('=');
  if (c.peek().type === 'reg') {
    const r = c.register();
    return stmt(op.BPF_STX | op.BPF_MEM | SIZE_CODE[ty.bytes], m.base, r.reg, m.off, 0);
  }
  return stmt(
    op.BPF_ST | op.BPF_MEM | SIZE_CODE[ty.bytes],
    m.base,
    0,
    m.off,
    c.imm32('a register or an immediate'),
  );
}

/** `lock *(u64 *)(r0 + 0x0) += r1` */
function lock(c: Cursor): Statement {
  c.expect('lock');
  c.expect('*');
  const ty = cast(c, false);
  if (ty.bytes < 4) c.error('atomic operations are 32 or 64 bits wide');
  const m = parenMemory(c);
  const t = c.peek();
  const name = t.type === 'op' ? ATOMIC_OP[t.text] : undefined;
  if (name === undefined) return c.fail("'+=', '|=', '&=' or '^='");
  c.next();
  const r = c.register();
  return stmt(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[ty.bytes], m.base, r.reg, m.off, atomicImm(name, false));
}

/** `ld_pseudo r1, 2, 0x5`: LLVM's lddw with a source other than 0. */
function ldPseudo(c: Cursor): Statement {
  const d = c.registerOf(false);
  c.expect(',');
  const src = c.number(0, 6, 'an lddw source (0-6)');
  c.expect(',');
  const vt = c.peek();
  const v = c.bigNumber('a 64-bit immediate');
  if (v < -(1n << 63n) || v >= 1n << 64n) c.error('64-bit immediate out of range', vt);
  return { insn: { ...lddw(d, v, src) } };
}

const FETCH = /^atomic(64)?_fetch_(add|or|and|xor)$/;
const XCHG = /^(?:xchg_64|xchg32_32|atomic(64)?_xchg)$/;
const CMPXCHG = /^(?:cmpxchg_64|cmpxchg32_32|atomic(64)?_cmpxchg)$/;
const ENDIAN = /^(be|le|bswap)(16|32|64)$/;

function assignment(c: Cursor, ctx: PseudoContext): Statement {
  const d = c.register();
  const w = d.wide32;
  const alu = w ? op.BPF_ALU : op.BPF_ALU64;
  const opTok = c.peek();
  if (opTok.type !== 'op' || ASSIGN_OP[opTok.text] === undefined) {
    return c.fail(
      "an assignment ('=', '+=', '-=', '*=', '/=', 's/=', '%=', 's%=', '|=', '&=', '^=', '<<=', '>>=', 's>>=')",
    );
  }
  c.next();
  const aluOp: AluOp = ASSIGN_OP[opTok.text]!;
  if (aluOp !== 'mov') {
    const off = aluOp === 'sdiv' || aluOp === 'smod' ? 1 : 0;
    if (c.peek().type === 'reg')
      return stmt(alu | ALU_CODE[aluOp] | op.BPF_X, d.reg, c.registerOf(w), off, 0);
    return stmt(alu | ALU_CODE[aluOp] | op.BPF_K, d.reg, 0, off, c.imm32('a register or an immediate'));
  }
  // `dst = ...`: mov, neg, movsx, byte swap, load, packet load, lddw, fetching atomics.
  const t = c.peek();
  if (t.type === 'reg') return stmt(alu | op.BPF_MOV | op.BPF_X, d.reg, c.registerOf(w), 0, 0);
  if (c.isOp('-') && c.peek(1).type === 'reg') {
    c.next();
    const r = c.peek();
    if (c.registerOf(w) !== d.reg)
      c.error(`negation is in place: expected ${d.wide32 ? 'w' : 'r'}${d.reg}`, r);
    return stmt(alu | op.BPF_NEG, d.reg, 0, 0, 0);
  }
  if (c.isOp('(') && c.peek(1).type === 'name' && /^s(8|16|32)$/.test(c.peek(1).text)) {
    c.next();
    const ext = Number(c.next().text.slice(1));
    if (w && ext === 32) c.error('(s32) needs a 64-bit destination', c.peek(-1));
    c.expect(')');
    return stmt(alu | op.BPF_MOV | op.BPF_X, d.reg, c.registerOf(w), ext, 0);
  }
  if (c.isOp('*')) return load(c, d);
  if (t.type === 'name') {
    const endian = ENDIAN.exec(t.text);
    if (endian !== null) {
      c.next();
      const r = c.peek();
      if (c.register().reg !== d.reg) c.error(`byte swaps are in place: expected r${d.reg}`, r);
      const bits = Number(endian[2]);
      const code =
        endian[1] === 'bswap'
          ? op.BPF_ALU64 | op.BPF_END
          : op.BPF_ALU | op.BPF_END | (endian[1] === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
      return stmt(code, d.reg, 0, 0, bits);
    }
    if (t.text === 'load_acquire' || t.text === 'addr_space_cast')
      throw new NotSupportedError(t.text, `line ${c.line}`);
    if (FETCH.test(t.text) || XCHG.test(t.text) || CMPXCHG.test(t.text)) return fetching(c, d.reg, d.wide32);
    if (c.peek(1).type === 'name' && c.peek(1).text === 'll') {
      // `r1 = map ll`: an lddw whose value the linker fills in (a relocation in an object).
      c.next();
      c.next();
      if (w) c.error('a 64-bit load needs an r register', opTok);
      return { insn: { ...lddw(d.reg, 0n), reference: t.text } };
    }
    return c.fail('a register, an immediate, a load or an operation', t);
  }
  const vt = c.peek();
  const v = c.bigNumber('a register, an immediate or a load');
  const ll = c.accept('ll');
  if (ll || (ctx.wideLoad && !w)) {
    if (w) c.error('a 64-bit load needs an r register', d.wide32 ? opTok : vt);
    if (v < -(1n << 63n) || v >= 1n << 64n) c.error('64-bit immediate out of range', vt);
    return { insn: { ...lddw(d.reg, v) } };
  }
  if (v < -0x80000000n || v > 0xffffffffn || (!w && v > 0x7fffffffn)) {
    c.error(
      w
        ? `immediate ${v} does not fit 32 bits`
        : `immediate ${v} does not fit a sign-extended 32-bit immediate; write '${v} ll' for a 64-bit load`,
      vt,
    );
  }
  return stmt(alu | op.BPF_MOV | op.BPF_K, d.reg, 0, 0, Number(v) | 0);
}

function load(c: Cursor, d: Register): Statement {
  const dst = d.reg;
  c.expect('*');
  const ty = cast(c, true);
  if (c.accept('skb')) {
    // Legacy packet access (BPF_ABS / BPF_IND): the result is always r0.
    if (dst !== 0) throw new AsmError('packet loads (skb[...]) always load into r0', c.line, d.column);
    if (ty.signed || ty.bytes === 8) c.error('packet loads are u8, u16 or u32');
    c.expect('[');
    let s: Statement;
    if (c.peek().type === 'reg') {
      const src = c.registerOf(false);
      const imm = c.accept('+') ? c.imm32('a packet offset') : 0;
      s = stmt(op.BPF_LD | op.BPF_IND | SIZE_CODE[ty.bytes], 0, src, 0, imm);
    } else {
      s = stmt(
        op.BPF_LD | op.BPF_ABS | SIZE_CODE[ty.bytes],
        0,
        0,
        0,
        c.imm32('a packet offset or a register'),
      );
    }
    c.expect(']');
    return s;
  }
  const m = parenMemory(c);
  const mode = ty.signed ? op.BPF_MEMSX : op.BPF_MEM;
  return stmt(op.BPF_LDX | mode | SIZE_CODE[ty.bytes], dst, m.base, m.off, 0);
}

/** `r1 = atomic_fetch_add((u64 *)(r2 + 0x0), r1)`, `r1 = xchg_64(r2 + 0x0, r1)`, cmpxchg. */
function fetching(c: Cursor, dst: number, w: boolean): Statement {
  const fn = c.next();
  const name = fn.text;
  // Width from the name (`xchg_64`, `xchg32_32`, `atomic64_*`), else the register; a cast wins.
  let bytes: Bytes = name.includes('64') ? 8 : name.includes('32') || w ? 4 : 8;
  c.expect('(');
  let m: { base: number; off: number };
  if (c.isOp('(')) {
    const ty = cast(c, false);
    if (ty.bytes < 4) c.error('atomic operations are 32 or 64 bits wide');
    bytes = ty.bytes;
    m = parenMemory(c);
  } else {
    m = bareMemory(c);
  }
  c.expect(',');
  let aop: AtomicOp;
  if (CMPXCHG.test(name)) {
    if (dst !== 0) c.error('cmpxchg returns into r0', fn);
    const r0 = c.peek();
    if (c.register().reg !== 0) c.fail("'r0' (the value compared)", r0);
    c.expect(',');
    aop = 'cmpxchg';
  } else {
    aop = XCHG.test(name) ? 'xchg' : (FETCH.exec(name)![2] as AtomicOp);
  }
  const rt = c.peek();
  const src = c.register().reg;
  if (aop !== 'cmpxchg' && src !== dst)
    c.error(`the fetched value returns in the source register: expected r${dst}`, rt);
  c.expect(')');
  return stmt(op.BPF_STX | op.BPF_ATOMIC | SIZE_CODE[bytes], m.base, src, m.off, atomicImm(aop, true));
}
