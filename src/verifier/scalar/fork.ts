// A path split the kernel makes before an ALU instruction (Linux 6.18, seen in its level-2 log):
// `x s>>= 63; x &= K` is how compilers write `cond ? K : 0`, and the scalar domain cannot say
// "0 or K" precisely. So when AND or OR meets a constant (all 64 bits known) and a destination
// whose low word is -1 or 0 (s32 range [-1, 0]), the verifier explores the instruction twice:
// first with the low word -1, then (pushed, explored later) with it 0. The abstract interpreter
// does the exploring; this says when and with which destination values.

import type { AluOp } from '../../isa/index.js';
import { refineBranch } from './branch.js';
import { isConstScalar, type Scalar, scalarConst } from './scalar.js';

/**
 * The destination values the kernel explores separately before `dst op= src`: [the one it goes
 * on with, the one it pushes], or null when it does not split.
 */
export function aluFork(op: AluOp, dst: Scalar, src: Scalar): readonly [Scalar, Scalar] | null {
  if (op !== 'and' && op !== 'or') return null;
  if (!isConstScalar(src) || dst.s32min !== -1n || dst.s32max !== 0n) return null;
  const withLow = (v: bigint) => refineBranch('jeq', false, dst, scalarConst(v), true)?.[0];
  const minusOne = withLow(-1n);
  const zero = withLow(0n);
  if (minusOne === undefined || zero === undefined) return null;
  return [minusOne, zero];
}
