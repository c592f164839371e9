// The verifier's scalar domain: what the kernel's verifier knows of a scalar register (known bits
// and signed/unsigned 64- and 32-bit ranges), its transfer functions for ALU instructions, the
// decision and narrowing of conditional jumps, the pruning test, and the log's text for it.
// Pure functions over immutable values; the abstract interpreter (verifier/) builds on them.
export { aluScalar, endianScalar, signExtend64, truncateScalar } from './alu.js';
export { branchTaken, refineBranch } from './branch.js';
export { aluFork } from './fork.js';
export { type FormatScalarOptions, formatScalar } from './format.js';
export {
  isConstScalar,
  isConstScalar32,
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarContains,
  scalarEquals,
  scalarIsEmpty,
  scalarRange,
  scalarUnknown,
  scalarWithin,
} from './scalar.js';
export {
  formatTnum,
  TNUM_UNKNOWN,
  type Tnum,
  tnumConst,
  tnumContains,
  tnumEquals,
  tnumIn,
  tnumIsConst,
  tnumRange,
  tnumUnion,
} from './tnum.js';
