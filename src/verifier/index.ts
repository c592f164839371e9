// The verifier (layer 3): the verify stage load() runs (the passes, or the full verifier) and
// verifyProgram, the abstract interpreter that proves a raw program safe as the kernel's
// verifier does. Refusals are VerifierError with a kernel-style log and the pc.
export { checkContextAccess } from './context.js';
export { type Explanation, formatExplanation } from './explain.js';
export { checkHelpers, type HelperSet } from './helpers.js';
export type { Property } from './refuse.js';
export { type Verified, type VerifyOptions, verify } from './verify.js';
export {
  programInput,
  statsLine,
  type VerifierStats,
  type VerifyProgramInput,
  type VerifyProgramResult,
  verifyProgram,
} from './verify-program.js';
