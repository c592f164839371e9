// Pointer arithmetic of unprivileged programs, as Linux 6.18 restricts it against Spectre v1
// (bypass_spec_v1 is false without CAP_PERFMON when CPU mitigations are on): the JIT masks a
// pointer's variable offset to the distance the verifier saw, so the verifier must know that
// distance — one per instruction, the same on every path — and the result must stay inside its
// object. Facts from the running kernel's messages and kernel/bpf/verifier.c (sanitize_ptr_alu,
// retrieve_ptr_limit, update_alu_sanitation_state, sanitize_check_bounds,
// check_stack_access_for_ptr_arithmetic), checked against the kernel in
// test/verifier/unprivileged.vcase and the unprivileged differential.

import type { AluOp } from '../isa/index.js';
import type { Env } from './env.js';
import { mapValueBounds } from './memory.js';
import { constOf, smax, smin, umax } from './num.js';
import { refuse } from './refuse.js';
import { formatTnum } from './scalar/tnum.js';
import { type Reg, STACK_SIZE } from './state.js';

/** What the first look at an instruction records for the second (bpf_sanitize_info). */
export interface SanitizeWindow {
  readonly state: number;
  readonly limit: number;
  readonly maskToLeft: boolean;
}

// alu_state bits (BPF_ALU_SANITIZE_SRC, _DST, BPF_ALU_NEG_VALUE, BPF_ALU_IMMEDIATE).
const SANITIZE_SRC = 1;
const SANITIZE_DST = 2;
const NEG_VALUE = 4;
const IMMEDIATE = 16;

const PROHIBITED = 'pointer arithmetic with it prohibited for !root';

/**
 * The distance the JIT's mask allows from `ptr` (retrieve_ptr_limit), or the refusal: only stack
 * and map value pointers can be masked.
 */
function ptrLimit(ptr: Reg, maskToLeft: boolean): number | 'type' | 'limit' {
  let max: number;
  let limit: number;
  if (ptr.type === 'fp') {
    max = STACK_SIZE + (maskToLeft ? 1 : 0);
    limit = Number(BigInt.asUintN(32, -(ptr.value.var.value + BigInt(ptr.off))));
  } else if (ptr.type === 'map_value') {
    max = ptr.map!.spec.valueSize;
    const edge = maskToLeft ? smin(ptr.value) : umax(ptr.value);
    limit = Number(BigInt.asUintN(32, edge + BigInt(ptr.off)));
  } else return 'type';
  return limit >= max ? 'limit' : limit;
}

function prohibited(
  reason: 'type' | 'limit' | 'bounds' | 'paths',
  op: AluOp,
  dst: number,
  ptrReg: number,
  offReg: number,
): never {
  const verb = op === 'add' ? 'add' : 'sub';
  // 6.18 names the instruction's source register for mixed bounds, whichever operand it is.
  const src = ptrReg === dst ? offReg : ptrReg;
  const message =
    reason === 'bounds'
      ? `R${src} has unknown scalar with mixed signed bounds, ${PROHIBITED}`
      : reason === 'type'
        ? `R${ptrReg} has pointer with unsupported alu operation, ${PROHIBITED}`
        : reason === 'paths'
          ? `R${dst} tried to ${verb} from different maps, paths or scalars, ${PROHIBITED}`
          : `R${dst} tried to ${verb} beyond pointer bounds, ${PROHIBITED}`;
  return refuse('pointer-arithmetic', message, {
    reg: reason === 'bounds' ? offReg : ptrReg,
    hint:
      reason === 'bounds'
        ? 'unprivileged: bound the offset to one sign (if (i >= 0 && i < N)) before adding it'
        : reason === 'type'
          ? 'unprivileged: only stack and map value pointers move by a register; add a constant'
          : 'unprivileged: keep the pointer inside its object, the same way on every path',
  });
}

/**
 * Whether pointer arithmetic at `pc` is masked (the negation of can_skip_alu_sanitation): an
 * unprivileged load, an offset in a register, no barrier put before the instruction.
 */
export const sanitized = (env: Env, pc: number, byReg: boolean): boolean =>
  !env.privileged && byReg && !env.nospec.has(pc);

/**
 * Before `ptr op off` with a register operand (the first sanitize_ptr_alu): the offset must have
 * one sign, and the pointer a type whose distance the JIT can mask. Returns what the second look
 * needs.
 */
export function sanitizeBefore(
  op: AluOp,
  ptr: Reg,
  off: Reg,
  regs: { dst: number; ptr: number; off: number },
): SanitizeWindow {
  const offIsImm = constOf(off.value) !== undefined;
  const offIsNeg = smin(off.value) < 0n;
  if (!offIsImm && offIsNeg !== smax(off.value) < 0n) prohibited('bounds', op, regs.dst, regs.ptr, regs.off);
  const maskToLeft = (op === 'add' && offIsNeg) || (op === 'sub' && !offIsNeg);
  const limit = ptrLimit(ptr, maskToLeft);
  if (typeof limit !== 'number') prohibited(limit, op, regs.dst, regs.ptr, regs.off);
  const state =
    (offIsNeg ? NEG_VALUE : 0) |
    (offIsImm ? IMMEDIATE : 0) |
    (regs.ptr === regs.dst ? SANITIZE_SRC : SANITIZE_DST);
  return { state, limit, maskToLeft };
}

/**
 * After it (the second sanitize_ptr_alu): the mask is the distance the pointer moved, and one
 * instruction has one mask on every path (`seen`, per slot, for the whole verification).
 */
export function sanitizeAfter(
  env: Env,
  pc: number,
  op: AluOp,
  result: Reg,
  w: SanitizeWindow,
  regs: { dst: number; ptr: number; off: number },
): void {
  const after = ptrLimit(result, w.maskToLeft);
  if (typeof after !== 'number') prohibited(after, op, regs.dst, regs.ptr, regs.off);
  const limit = Math.abs((w.limit - after) | 0);
  const seen = env.aluSanitation.get(pc);
  if (seen !== undefined && (seen.state !== w.state || seen.limit !== limit))
    prohibited('paths', op, regs.dst, regs.ptr, regs.off);
  env.aluSanitation.set(pc, { state: w.state, limit });
}

/**
 * The result of any pointer add or sub, immediate operands too (sanitize_check_bounds): a stack
 * pointer stays at a known offset inside the frame, a map value pointer inside the value.
 */
export function sanitizeBounds(dst: number, result: Reg): void {
  if (result.type === 'fp') {
    const known = constOf(result.value);
    const off = Number(BigInt.asIntN(32, BigInt(result.off) + result.value.var.value));
    if (known === undefined)
      refuse(
        'pointer-arithmetic',
        `R${dst} variable stack access prohibited for !root, var_off=${formatTnum(result.value.var)} off=${off}`,
        { reg: dst, hint: 'unprivileged: stack pointers move by constants only' },
      );
    if (off >= 0 || off < -STACK_SIZE)
      refuse(
        'pointer-arithmetic',
        `R${dst} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`,
        { reg: dst, hint: 'unprivileged: a stack pointer must stay inside the 512-byte frame' },
      );
  } else if (result.type === 'map_value') {
    const problem = mapValueBounds(result, dst);
    if (problem !== undefined)
      refuse(
        'pointer-arithmetic',
        `${problem}\nR${dst} pointer arithmetic of map value goes out of range, prohibited for !root`,
        { reg: dst, hint: 'unprivileged: a map value pointer must stay inside the value' },
      );
  }
}
