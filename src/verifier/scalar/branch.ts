// Conditional jumps on scalars, as the kernel's verifier decides and narrows them (Linux 6.18,
// kernel/bpf/verifier.c: is_scalar_branch_taken, reg_set_min_max, regs_refine_cond_op).
// `a` is the destination register, `b` the source register or scalarConst(sign-extended imm).
// The 32-bit forms (JMP32) compare and narrow the low 32 bits only.

import { assertNever } from '../../errors.js';
import { type JmpCond, u32, u64 } from '../../isa/index.js';
import {
  type MutableScalar,
  markUnbounded32,
  markUnbounded64,
  max,
  min,
  mutable,
  type Scalar,
  s32,
  s64,
  scalarIsEmpty,
  syncBounds,
} from './scalar.js';
import {
  type Tnum,
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumOverlap,
  tnumSubreg,
  tnumWithSubreg,
} from './tnum.js';

/** The facts compared: the 64-bit ones, or the low-32-bit ones widened. */
interface View {
  readonly t: Tnum;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

const view = (s: Scalar, is64: boolean): View =>
  is64
    ? { t: s.var, umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax }
    : { t: tnumSubreg(s.var), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max };

/** The operand is one known value over the width compared (the kernel's is_reg_const). */
const isConst = (s: Scalar, is64: boolean): boolean => (is64 ? tnumIsConst(s.var) : u32(s.var.mask) === 0n);
const constValue = (s: Scalar, is64: boolean): bigint => (is64 ? s.var.value : u32(s.var.value));

/**
 * Whether `a cond b` holds for every value (true), for none (false), or is not settled
 * (undefined). `_same` (both operands one register) is accepted so callers can say it, as for
 * refineBranch, but Linux 6.18 decides that case from the ranges like any pair (later kernels
 * settle it as equality), so it changes nothing here.
 */
export function branchTaken(
  cond: JmpCond,
  is64: boolean,
  a: Scalar,
  b: Scalar,
  _same = false,
): boolean | undefined {
  const x = view(a, is64);
  const y = view(b, is64);
  switch (cond) {
    case 'jeq':
    case 'jne': {
      const eq = cond === 'jeq';
      if (tnumIsConst(x.t) && tnumIsConst(y.t)) return (x.t.value === y.t.value) === eq;
      if (!tnumOverlap(x.t, y.t)) return !eq;
      if (x.umin > y.umax || x.umax < y.umin) return !eq;
      if (x.smin > y.smax || x.smax < y.smin) return !eq;
      if (is64) {
        // The 64-bit ranges may overlap where the subregister ranges do not.
        if (a.u32min > b.u32max || a.u32max < b.u32min) return !eq;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return !eq;
      }
      return undefined;
    }
    case 'jset': {
      let p = x;
      let q = y;
      if (!isConst(b, is64)) {
        if (!isConst(a, is64)) return undefined;
        p = y;
        q = x;
      }
      if (~p.t.mask & p.t.value & q.t.value) return true;
      if (((p.t.mask | p.t.value) & q.t.value) === 0n) return false;
      return undefined;
    }
    case 'jgt':
      return x.umin > y.umax ? true : x.umax <= y.umin ? false : undefined;
    case 'jsgt':
      return x.smin > y.smax ? true : x.smax <= y.smin ? false : undefined;
    case 'jlt':
      return x.umax < y.umin ? true : x.umin >= y.umax ? false : undefined;
    case 'jslt':
      return x.smax < y.smin ? true : x.smin >= y.smax ? false : undefined;
    case 'jge':
      return x.umin >= y.umax ? true : x.umax < y.umin ? false : undefined;
    case 'jsge':
      return x.smin >= y.smax ? true : x.smax < y.smin ? false : undefined;
    case 'jle':
      return x.umax <= y.umin ? true : x.umin > y.umax ? false : undefined;
    case 'jsle':
      return x.smax <= y.smin ? true : x.smin > y.smax ? false : undefined;
    default:
      return assertNever(cond, 'jump condition');
  }
}

/** A condition and its negation; 'jclear' is "not jset" (the kernel's BPF_JSET | BPF_X marker). */
type Refinable = JmpCond | 'jclear';

const NEGATION: Record<Refinable, Refinable> = {
  jeq: 'jne',
  jne: 'jeq',
  jset: 'jclear',
  jclear: 'jset',
  jge: 'jlt',
  jlt: 'jge',
  jgt: 'jle',
  jle: 'jgt',
  jsge: 'jslt',
  jslt: 'jsge',
  jsgt: 'jsle',
  jsle: 'jsgt',
};

/**
 * Both operands narrowed on the edge where `a cond b` is `taken` (true: the jump; false: the
 * fall-through), or null when no value pair can take that edge. `same`: both operands are one
 * register (`if r1 s> r1`); Linux 6.18 narrows it through both roles in turn, as one object
 * (a > a on the jump edge gives smin+1, smax-1), so the two results are that one state. Such an
 * edge is dead; its state is the kernel's, for the log and for what it goes on to check.
 */
export function refineBranch(
  cond: JmpCond,
  is64: boolean,
  a: Scalar,
  b: Scalar,
  taken: boolean,
  same = false,
): readonly [Scalar, Scalar] | null {
  const r1 = mutable(a);
  const r2 = same ? r1 : mutable(b);
  refine(r1, r2, taken ? cond : NEGATION[cond], is64);
  const x = syncBounds(r1);
  const y = syncBounds(r2);
  if (scalarIsEmpty(x) || scalarIsEmpty(y)) return null;
  return [x, y];
}

const FLIPPED = { jge: 'jle', jgt: 'jlt', jsge: 'jsle', jsgt: 'jslt' } as const;

/** The kernel's regs_refine_cond_op: narrows r1 and r2 given that `r1 cond r2` holds. */
function refine(p: MutableScalar, q: MutableScalar, cond: Refinable, is64: boolean): void {
  let r1 = p;
  let r2 = q;
  let c = cond;
  if (c === 'jge' || c === 'jgt' || c === 'jsge' || c === 'jsgt') {
    // a > b is b < a: one rule for both directions.
    c = FLIPPED[c];
    r1 = q;
    r2 = p;
  }
  switch (c) {
    case 'jeq':
      if (is64) {
        r1.umin = max(r1.umin, r2.umin);
        r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin);
        r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      } else {
        r1.u32min = max(r1.u32min, r2.u32min);
        r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min);
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      }
      break;
    case 'jne': {
      // Only a constant at the very edge of the other's range narrows it.
      if (!isConst(r2, is64)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is64)) break;
      const v = constValue(r2, is64);
      if (is64) {
        if (r1.umin === v) r1.umin = u64(r1.umin + 1n);
        if (r1.umax === v) r1.umax = u64(r1.umax - 1n);
        if (r1.smin === s64(v)) r1.smin = s64(r1.smin + 1n);
        if (r1.smax === s64(v)) r1.smax = s64(r1.smax - 1n);
      } else {
        if (r1.u32min === v) r1.u32min = u32(r1.u32min + 1n);
        if (r1.u32max === v) r1.u32max = u32(r1.u32max - 1n);
        if (r1.s32min === s32(v)) r1.s32min = s32(r1.s32min + 1n);
        if (r1.s32max === s32(v)) r1.s32max = s32(r1.s32max - 1n);
      }
      break;
    }
    case 'jset': {
      if (!isConst(r2, is64)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is64)) break;
      const v = constValue(r2, is64);
      // Some bit of v is set: known only when v has a single bit.
      if (v === 0n || (v & (v - 1n)) !== 0n) break;
      if (is64) r1.var = tnumOr(r1.var, tnumConst(v));
      else r1.var = tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(v)));
      break;
    }
    case 'jclear': {
      if (!isConst(r2, is64)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is64)) break;
      const v = constValue(r2, is64);
      // The ranges are dropped before the tnum narrows, so that a dead edge cannot leave them
      // contradicting it; they are rebuilt from the tnum by the sync.
      markUnbounded64(r1);
      markUnbounded32(r1);
      if (is64) r1.var = tnumAnd(r1.var, tnumConst(~v));
      else r1.var = tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), tnumConst(~v)));
      break;
    }
    case 'jle':
      if (is64) {
        r1.umax = min(r1.umax, r2.umax);
        r2.umin = max(r1.umin, r2.umin);
      } else {
        r1.u32max = min(r1.u32max, r2.u32max);
        r2.u32min = max(r1.u32min, r2.u32min);
      }
      break;
    case 'jlt':
      // The kernel's -1 / +1 wrap at the edges; such an edge is dead and never refined.
      if (is64) {
        r1.umax = min(r1.umax, u64(r2.umax - 1n));
        r2.umin = max(u64(r1.umin + 1n), r2.umin);
      } else {
        r1.u32max = min(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = max(u32(r1.u32min + 1n), r2.u32min);
      }
      break;
    case 'jsle':
      if (is64) {
        r1.smax = min(r1.smax, r2.smax);
        r2.smin = max(r1.smin, r2.smin);
      } else {
        r1.s32max = min(r1.s32max, r2.s32max);
        r2.s32min = max(r1.s32min, r2.s32min);
      }
      break;
    case 'jslt':
      if (is64) {
        r1.smax = min(r1.smax, s64(r2.smax - 1n));
        r2.smin = max(s64(r1.smin + 1n), r2.smin);
      } else {
        r1.s32max = min(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = max(s32(r1.s32min + 1n), r2.s32min);
      }
      break;
    default:
      assertNever(c, 'jump condition');
  }
}
