// The verify stage: the passes a program goes through before an engine may run it, in the
// kernel's order — structure (the CFG's checks: subprograms, jumps, reachability), then helper
// calls and context accesses. Each refusal is a VerifierError with a kernel-style log and the pc
// (or NotSupportedError for a helper the runtime lacks). Not a full verifier: no register
// states, no bounds; the runtime's memory checks keep an unverified program safe.

import { buildCfg, type Cfg } from '../cfg/index.js';
import { VerifierError } from '../errors.js';
import type { ProgramSpec } from '../program/types.js';
import { checkContextAccess } from './context.js';
import { checkHelpers, type HelperSet } from './helpers.js';

export interface VerifyOptions {
  /** The helper ids the runtime implements; calls to others are NotSupportedError. */
  readonly helpers: HelperSet;
}

/** What verification found out about a program (its control-flow graph). */
export interface Verified {
  readonly cfg: Cfg;
}

/** Runs every pass over `program`; throws at the first refusal. */
export function verify(
  program: Pick<ProgramSpec, 'name' | 'type' | 'instructions'>,
  options: VerifyOptions,
): Verified {
  try {
    const cfg = buildCfg(program.instructions);
    checkHelpers(program.name, program.type, program.instructions, options.helpers, cfg);
    checkContextAccess(program.type, program.instructions, cfg);
    return { cfg };
  } catch (e) {
    // An object holds many programs: a refusal must say which one (the log stays the kernel's).
    if (e instanceof VerifierError && program.name !== '')
      throw new VerifierError(`program '${program.name}': ${e.message}`, e.log, e.pc);
    throw e;
  }
}
