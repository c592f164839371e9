// Lowering of ALU, byte-order and jump-condition instructions to Wasm, with RFC 9669 §4.1-4.2
// semantics where Wasm's differ: x / 0 = 0 and x % 0 = x instead of a trap, INT_MIN / -1 =
// INT_MIN and INT_MIN % -1 = 0, 32-bit results zero-extended into the 64-bit register, shift
// counts masked (Wasm masks them the same way), movsx, and byte swaps (Wasm has none).

import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { type FunctionBuilder, I32, I64, type Local, type OpName } from './wasm/index.js';

/** What lowering needs of the function being compiled. */
export interface LowerContext {
  readonly f: FunctionBuilder;
  /** r0 - r10 as i64 locals. */
  readonly R: readonly Local[];
}

type Alu = Extract<Kind, { kind: 'alu' }>;
type AluOp = Alu['op'];

const OPS64: Partial<Record<AluOp, OpName>> = {
  add: 'i64.add',
  sub: 'i64.sub',
  mul: 'i64.mul',
  or: 'i64.or',
  and: 'i64.and',
  xor: 'i64.xor',
  lsh: 'i64.shl',
  rsh: 'i64.shr_u',
  arsh: 'i64.shr_s',
};
const OPS32: Partial<Record<AluOp, OpName>> = {
  add: 'i32.add',
  sub: 'i32.sub',
  mul: 'i32.mul',
  or: 'i32.or',
  and: 'i32.and',
  xor: 'i32.xor',
  lsh: 'i32.shl',
  rsh: 'i32.shr_u',
  arsh: 'i32.shr_s',
};

// The operand helpers are module functions, not closures made per instruction: emitAlu runs
// for most instructions of every compile, mostly before V8 optimizes it.
/** The source operand: a register, or the immediate sign-extended to 64 bits (ALU64). */
function source(f: FunctionBuilder, R: readonly Local[], i: Instruction, k: Alu): void {
  if (k.reg) {
    f.get(R[i.src]!);
    if (!k.alu64) f.op('i32.wrap_i64');
  } else if (k.alu64) f.i64(i.imm);
  else f.i32(i.imm);
}

/** The destination's value at the operation's width. */
function operand(f: FunctionBuilder, dst: Local, k: Alu): void {
  f.get(dst);
  if (!k.alu64) f.op('i32.wrap_i64');
}

/** Stores the result, zero-extending a 32-bit one. */
function result(f: FunctionBuilder, dst: Local, k: Alu): void {
  if (!k.alu64) f.op('i64.extend_i32_u');
  f.set(dst);
}

export function emitAlu(c: LowerContext, i: Instruction, k: Alu): void {
  const { f, R } = c;
  const dst = R[i.dst]!;
  switch (k.op) {
    case 'mov':
      if (k.reg && k.alu64) f.get(R[i.src]!).set(dst);
      else if (k.alu64) f.i64(i.imm).set(dst);
      else if (k.reg) f.get(R[i.src]!).i64(0xffffffff).op('i64.and').set(dst);
      else f.i64(i.imm >>> 0).set(dst);
      return;
    case 'movsx': {
      f.get(R[i.src]!);
      if (k.alu64) {
        f.op(k.ext === 8 ? 'i64.extend8_s' : k.ext === 16 ? 'i64.extend16_s' : 'i64.extend32_s');
        f.set(dst);
      } else {
        f.op('i32.wrap_i64').op(k.ext === 8 ? 'i32.extend8_s' : 'i32.extend16_s');
        result(f, dst, k);
      }
      return;
    }
    case 'neg':
      if (k.alu64) f.i64(0);
      else f.i32(0);
      operand(f, dst, k);
      f.op(k.alu64 ? 'i64.sub' : 'i32.sub');
      result(f, dst, k);
      return;
    case 'add':
    case 'sub':
    case 'mul':
    case 'or':
    case 'and':
    case 'xor':
    case 'lsh':
    case 'rsh':
    case 'arsh':
      operand(f, dst, k);
      source(f, R, i, k);
      f.op((k.alu64 ? OPS64 : OPS32)[k.op]!);
      result(f, dst, k);
      return;
    case 'div':
    case 'mod':
    case 'sdiv':
    case 'smod':
      division(c, i, k);
      return;
    default:
      assertNever(k.op, 'ALU operation');
  }
}

/** div_u, div_s, rem_u, rem_s, sub, eqz, eq at each width (division's operations). */
const DIVISION64: readonly OpName[] = [
  'i64.div_u',
  'i64.div_s',
  'i64.rem_u',
  'i64.rem_s',
  'i64.sub',
  'i64.eqz',
  'i64.eq',
];
const DIVISION32: readonly OpName[] = [
  'i32.div_u',
  'i32.div_s',
  'i32.rem_u',
  'i32.rem_s',
  'i32.sub',
  'i32.eqz',
  'i32.eq',
];

/** Division and modulo without Wasm's traps (RFC 9669 §4.1). */
function division(c: LowerContext, i: Instruction, k: Alu): void {
  const { f, R } = c;
  const dst = R[i.dst]!;
  const T = k.alu64 ? I64 : I32;
  const signed = k.op === 'sdiv' || k.op === 'smod';
  const isDiv = k.op === 'div' || k.op === 'sdiv';
  // Names from a table, not built per instruction: a built string costs a lookup by content.
  const ops = k.alu64 ? DIVISION64 : DIVISION32;
  const op = ops[(isDiv ? 0 : 2) + (signed ? 1 : 0)]!;
  const x = () => operand(f, dst, k);
  const finish = () => result(f, dst, k);
  const zero = () => (k.alu64 ? f.i64(0) : f.i32(0));
  if (!k.reg) {
    // A constant divisor: the edge cases are known now.
    const y = i.imm;
    if (y === 0) {
      if (isDiv) zero();
      else x();
    } else if (y === -1 && signed) {
      if (isDiv) {
        zero();
        x();
        f.op(ops[4]!);
      } else zero();
    } else {
      x();
      if (k.alu64) f.i64(y);
      else f.i32(y);
      f.op(op);
    }
    finish();
    return;
  }
  const y = f.temp(T);
  f.get(R[i.src]!);
  if (!k.alu64) f.op('i32.wrap_i64');
  f.set(y);
  f.get(y).op(ops[5]!);
  const byZero = f.if(T);
  if (isDiv) zero();
  else x();
  f.else(byZero);
  if (signed) {
    f.get(y);
    if (k.alu64) f.i64(-1);
    else f.i32(-1);
    f.op(ops[6]!);
    const minusOne = f.if(T);
    if (isDiv) {
      zero();
      x();
      f.op(ops[4]!);
    } else zero();
    f.else(minusOne);
    x();
    f.get(y).op(op);
    f.end(minusOne);
  } else {
    x();
    f.get(y).op(op);
  }
  f.end(byZero);
  f.release(y);
  finish();
}

/** Byte order (§4.2): to little-endian truncates on this little-endian machine; the rest swap. */
export function emitEndian(c: LowerContext, i: Instruction, k: Extract<Kind, { kind: 'endian' }>): void {
  const { f, R } = c;
  const dst = R[i.dst]!;
  if (k.order === 'le') {
    if (k.bits === 64) return;
    f.get(dst)
      .i64(k.bits === 16 ? 0xffff : 0xffffffff)
      .op('i64.and')
      .set(dst);
    return;
  }
  if (k.bits === 16) {
    const t = f.temp(I32);
    f.get(dst).op('i32.wrap_i64').set(t);
    f.get(t).i32(8).op('i32.shr_u').i32(0xff).op('i32.and');
    f.get(t).i32(0xff).op('i32.and').i32(8).op('i32.shl').op('i32.or');
    f.op('i64.extend_i32_u').set(dst);
    f.release(t);
    return;
  }
  const t = f.temp(I32);
  const swap32 = () => {
    f.set(t);
    f.get(t).i32(8).op('i32.rotl').i32(0x00ff00ff).op('i32.and');
    f.get(t)
      .i32(8)
      .op('i32.rotr')
      .i32(0xff00ff00 | 0)
      .op('i32.and');
    f.op('i32.or');
  };
  if (k.bits === 32) {
    f.get(dst).op('i32.wrap_i64');
    swap32();
    f.op('i64.extend_i32_u').set(dst);
  } else {
    const lo = f.temp(I64);
    f.get(dst).op('i32.wrap_i64');
    swap32();
    f.op('i64.extend_i32_u').i64(32).op('i64.shl').set(lo);
    f.get(dst).i64(32).op('i64.shr_u').op('i32.wrap_i64');
    swap32();
    f.op('i64.extend_i32_u').get(lo).op('i64.or').set(dst);
    f.release(lo);
  }
  f.release(t);
}

type Comparison = Exclude<Extract<Kind, { kind: 'jmp' }>['cond'], 'jset'>;
// One table per width, not names built per jump: a built string costs a lookup by content.
const CONDITIONS64: Record<Comparison, OpName> = {
  jeq: 'i64.eq',
  jne: 'i64.ne',
  jgt: 'i64.gt_u',
  jge: 'i64.ge_u',
  jlt: 'i64.lt_u',
  jle: 'i64.le_u',
  jsgt: 'i64.gt_s',
  jsge: 'i64.ge_s',
  jslt: 'i64.lt_s',
  jsle: 'i64.le_s',
};
const CONDITIONS32: Record<Comparison, OpName> = {
  jeq: 'i32.eq',
  jne: 'i32.ne',
  jgt: 'i32.gt_u',
  jge: 'i32.ge_u',
  jlt: 'i32.lt_u',
  jle: 'i32.le_u',
  jsgt: 'i32.gt_s',
  jsge: 'i32.ge_s',
  jslt: 'i32.lt_s',
  jsle: 'i32.le_s',
};

/** Pushes the i32 truth of a conditional jump's condition. */
export function emitJumpCondition(c: LowerContext, i: Instruction, k: Extract<Kind, { kind: 'jmp' }>): void {
  const { f, R } = c;
  f.get(R[i.dst]!);
  if (k.jmp32) f.op('i32.wrap_i64');
  if (k.reg) {
    f.get(R[i.src]!);
    if (k.jmp32) f.op('i32.wrap_i64');
  } else if (k.jmp32) f.i32(i.imm);
  else f.i64(i.imm);
  if (k.cond === 'jset')
    f.op(k.jmp32 ? 'i32.and' : 'i64.and')
      .op(k.jmp32 ? 'i32.eqz' : 'i64.eqz')
      .op('i32.eqz');
  else f.op((k.jmp32 ? CONDITIONS32 : CONDITIONS64)[k.cond]);
}
