// ALU instructions over register states (the kernel's check_alu_op, adjust_reg_min_max_vals and
// adjust_ptr_min_max_vals): scalars go to the scalar domain; pointers allow only the arithmetic
// that keeps them checkable (add/sub of a bounded scalar, 64-bit, not on nullable or end
// pointers), and the rest is refused in the kernel's words or, when privileged, turns the
// pointer into an unknown number.

import { ALU_ASSIGN } from '../asm/words.js';
import { NotSupportedError } from '../errors.js';
import type { AluOp, Instruction, Kind } from '../isa/index.js';
import { type Env, nextId } from './env.js';
import { typeName } from './format.js';
import { MAX_VAR_OFF } from './memory.js';
import { alu, constOf, immediate, type Scalar, smin } from './num.js';
import { refuse } from './refuse.js';
import { sanitizeAfter, sanitizeBefore, sanitizeBounds, sanitized } from './sanitize.js';
import {
  type Frame,
  isPacket,
  isPointer,
  maybeNull,
  mutableReg,
  type Reg,
  scalarReg,
  UNKNOWN,
} from './state.js';

type AluKind = Extract<Kind, { kind: 'alu' }>;

/** The operator as the kernel prints it (bpf_alu_string): the assembler's pseudo-C forms. */
const OP_TEXT: Record<AluOp, string> = { ...ALU_ASSIGN, neg: 'neg', movsx: 's=' };

const S64_MIN = -(1n << 63n);

/** Reads register `r` for an instruction: refused when it was never written. */
export function readReg(f: Frame, r: number): Reg {
  const reg = f.regs[r]!;
  if (reg.type === 'not_init')
    refuse('register-initialised', `R${r} !read_ok`, { reg: r, hint: uninitHint(r) });
  return reg;
}

function uninitHint(r: number): string {
  if (r === 0) return 'r0 is not set on this path: return a value (or a helper call result) before exit';
  if (r >= 1 && r <= 5)
    return `r${r} is not set on this path: calls clobber r1-r5, set it again after a call`;
  return `r${r} is read before any instruction on this path wrote it`;
}

export function writableDst(dst: number): void {
  if (dst === 10) refuse('register-initialised', 'frame pointer is read only');
}

/** The immediate operand as a register (zero-extended for 32-bit ops). */
const immReg = (i: Instruction, k: AluKind): Reg => scalarReg(immediate(k.alu64 ? i.imm : i.imm >>> 0));

/**
 * One ALU instruction on frame `f`. Returns, for an unprivileged pointer moved by a variable
 * register, the register as a misprediction of its mask leaves it (the pointer unmoved): the
 * kernel walks that speculative path too (sanitize_ptr_alu's simulation).
 */
export function aluStep(
  env: Env,
  f: Frame,
  i: Instruction,
  k: AluKind,
  pc: number,
  speculative: boolean,
): Reg | undefined {
  writableDst(i.dst);
  if (k.op === 'mov' || k.op === 'movsx') {
    const src = k.reg ? readReg(f, i.src) : immReg(i, k);
    f.regs[i.dst] = move(env, src, k, i);
    return undefined;
  }
  const dst = readReg(f, i.dst);
  if (k.op === 'neg') {
    f.regs[i.dst] = isPointer(dst)
      ? pointerLost(env, i.dst, 'R%d pointer arithmetic prohibited')
      : scalarReg(alu('neg', k.alu64, dst.value, dst.value));
    return undefined;
  }
  const src = k.reg ? readReg(f, i.src) : immReg(i, k);
  if (!k.reg) {
    if ((k.op === 'div' || k.op === 'sdiv' || k.op === 'mod' || k.op === 'smod') && i.imm === 0)
      refuse('division', 'div by zero', { hint: 'a constant divisor of 0: the division is always wrong' });
    const width = k.alu64 ? 64 : 32;
    if ((k.op === 'lsh' || k.op === 'rsh' || k.op === 'arsh') && (i.imm < 0 || i.imm >= width))
      refuse('division', `invalid shift ${i.imm}`);
  }
  if (!isPointer(dst) && !isPointer(src)) {
    f.regs[i.dst] = scalarReg(alu(k.op, k.alu64, dst.value, src.value));
    return undefined;
  }
  if (isPointer(dst) && isPointer(src)) {
    // The difference of two pointers is a number privileged programs may compute (any width).
    if (k.op === 'sub' && env.privileged) {
      f.regs[i.dst] = UNKNOWN;
      return undefined;
    }
    refuse('pointer-arithmetic', `R${i.dst} pointer ${OP_TEXT[k.op]} pointer prohibited`);
  }
  if (!k.alu64) {
    if (k.op === 'sub' && env.privileged) {
      f.regs[i.dst] = UNKNOWN;
      return undefined;
    }
    refuse('pointer-arithmetic', `R${i.dst} 32-bit pointer arithmetic prohibited`, {
      hint: 'pointers are 64-bit: do the arithmetic in 64-bit registers (no (u32) casts of pointers)',
    });
  }
  const ptrIsDst = isPointer(dst);
  const ptr = ptrIsDst ? dst : src;
  const off = ptrIsDst ? src : dst;
  const regs = { dst: i.dst, ptr: ptrIsDst ? i.dst : i.src, off: ptrIsDst ? i.src : i.dst };
  const masked = sanitized(env, pc, k.reg) && constOf(off.value) === undefined;
  f.regs[i.dst] = pointerMath(env, pc, k.reg, k.op, ptr, off, regs, speculative);
  return masked && (k.op === 'add' || k.op === 'sub') ? ptr : undefined;
}

/**
 * The kernel's check_reg_sane_offset for a variable offset, and for the pointer it makes
 * (`pointer`: 6.18 names the pointer's smallest offset then).
 */
function saneOffset(v: Scalar, t: string, pointer = false): void {
  const lo = smin(v);
  if (lo === S64_MIN)
    refuse(
      'pointer-arithmetic',
      `math between ${t} pointer and register with unbounded min value is not allowed`,
      {
        hint: 'bound the offset on both sides (unsigned, or test >= 0 and < N) before adding it',
      },
    );
  if (lo >= MAX_VAR_OFF || lo <= -MAX_VAR_OFF)
    refuse(
      'pointer-arithmetic',
      pointer
        ? `${t} pointer offset ${lo} is not allowed`
        : `value ${lo} makes ${t} pointer be out of bounds`,
      {
        hint: 'bound the offset (if (i >= N) return ...;) before adding it to the pointer',
      },
    );
}

function move(env: Env, src: Reg, k: AluKind, i: Instruction): Reg {
  if (k.op === 'movsx') {
    if (isPointer(src)) {
      if (!env.privileged) refuse('pointer-arithmetic', `R${i.src} sign-extension part of pointer`);
      return UNKNOWN;
    }
    return scalarReg(alu('movsx', k.alu64, src.value, src.value, k.ext));
  }
  if (k.alu64) return src;
  if (isPointer(src)) {
    if (!env.privileged) refuse('pointer-arithmetic', `R${i.src} partial copy of pointer`);
    return scalarReg(alu('mov', false, UNKNOWN.value, UNKNOWN.value));
  }
  return scalarReg(alu('mov', false, src.value, src.value));
}

/** A pointer used where only numbers may be: privileged loads get an unknown number. */
function pointerLost(env: Env, r: number, msg: string): Reg {
  if (!env.privileged) refuse('pointer-arithmetic', msg.replace('%d', String(r)));
  return UNKNOWN;
}

/**
 * ptr op off (off op ptr when the scalar is the destination): the kernel's adjust_ptr_min_max_vals,
 * with the Spectre v1 rules of unprivileged loads (sanitize.ts) around the arithmetic.
 */
function pointerMath(
  env: Env,
  pc: number,
  byReg: boolean,
  op: AluOp,
  ptr: Reg,
  off: Reg,
  regs: { dst: number; ptr: number; off: number },
  speculative: boolean,
): Reg {
  const dst = regs.dst;
  const t = typeName(ptr.type);
  if (maybeNull(ptr.type))
    refuse('null-check', `R${dst} pointer arithmetic on ${t} prohibited, null-check it first`, {
      hint: 'test the pointer against NULL before computing with it',
    });
  const known = constOf(off.value);
  switch (ptr.type) {
    case 'ctx':
    case 'map_value':
    case 'fp':
    case 'pkt':
    case 'pkt_meta':
    case 'ringbuf_mem':
    case 'mem':
    case 'rdonly_mem':
    case 'func':
      break;
    case 'ptr_nf_conn':
      // A kernel object pointer moves by constants only here (its fields are not modelled).
      if (known === undefined) throw new NotSupportedError('a variable offset on a struct nf_conn pointer');
      break;
    case 'map_ptr':
      if (known === 0n && op === 'add') return ptr;
      return refuse('pointer-arithmetic', `R${dst} pointer arithmetic on ${t} prohibited`);
    default:
      return refuse('pointer-arithmetic', `R${dst} pointer arithmetic on ${t} prohibited`, {
        hint: ptr.type === 'pkt_end' ? 'compute from data, and compare the result with data_end' : undefined,
      } as { hint?: string });
  }
  if (op === 'and' || op === 'or' || op === 'xor')
    refuse('pointer-arithmetic', `R${dst} bitwise operator ${OP_TEXT[op]} on pointer prohibited`);
  if (op !== 'add' && op !== 'sub')
    refuse('pointer-arithmetic', `R${dst} pointer arithmetic with ${OP_TEXT[op]} operator prohibited`);
  if (known !== undefined) {
    const v = BigInt.asIntN(64, known);
    if (v >= MAX_VAR_OFF || v <= -MAX_VAR_OFF)
      refuse('pointer-arithmetic', `math between ${t} pointer and ${v} is not allowed`);
  } else saneOffset(off.value, t);
  // Unprivileged, an offset in a register is masked at run time (immediates need no mask; nor
  // does a fenced instruction, and a speculative path only checks where the pointer lands).
  const window = sanitized(env, pc, byReg) && !speculative ? sanitizeBefore(op, ptr, off, regs) : undefined;
  if (window !== undefined && known === undefined) env.exploreAluLimits = true;
  if (op === 'sub' && regs.off === dst)
    refuse('pointer-arithmetic', `R${dst} tried to subtract pointer from scalar`);
  // Privileged too (JITs may not handle it, the kernel's comment says): add a negative instead.
  if (op === 'sub' && ptr.type === 'fp')
    refuse('pointer-arithmetic', `R${dst} subtraction from stack pointer prohibited`, {
      hint: 'write r -= N on a stack pointer as r += -N',
    });
  let result: Reg;
  if (known !== undefined) {
    const v = BigInt.asIntN(64, known);
    const next = ptr.off + Number(op === 'add' ? v : -v);
    if (next >= Number(MAX_VAR_OFF) || next <= -Number(MAX_VAR_OFF))
      refuse('pointer-arithmetic', `${t} pointer offset ${next} is not allowed`);
    const moved = mutableReg(ptr);
    moved.off = next;
    result = moved;
  } else {
    const value = alu(op, true, ptr.value, off.value);
    saneOffset(value, t, true);
    // A variable offset starts a new packet pointer family: its proven range is learnt anew.
    const moved = mutableReg(ptr);
    moved.value = value;
    if (isPacket(ptr.type)) {
      moved.id = nextId(env);
      moved.range = 0;
    }
    result = moved;
  }
  if (!env.privileged) {
    sanitizeBounds(dst, result);
    if (window !== undefined) sanitizeAfter(env, pc, op, result, window, regs);
  }
  return result;
}
