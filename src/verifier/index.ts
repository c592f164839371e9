// The verifier (layer 3): the passes that run at load before any engine does — structure (cfg/),
// helper calls, context accesses. Refusals are VerifierError with a kernel-style log and the pc.
export { checkContextAccess } from './context.js';
export { checkHelpers, type HelperSet } from './helpers.js';
export { type Verified, type VerifyOptions, verify } from './verify.js';
