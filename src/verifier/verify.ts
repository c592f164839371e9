// The verify stage: what a program goes through before an engine may run it. Two levels:
// - the passes (the default today): structure (the CFG's checks), helper calls and context
//   accesses — no register states; the runtime's memory checks keep such programs safe;
// - `full`: the abstract interpreter (verifyProgram: register types, bounds, the stack, helper
//   prototypes, references, loops, calls), after the helper pass that names helpers the runtime
//   lacks. It is not the default until every existing test passes with it (docs/architecture.md).
// Each refusal is a VerifierError with the kernel-style log and the pc (or NotSupportedError).

import type { Btf } from '../btf/types.js';
import { buildCfg, type Cfg } from '../cfg/index.js';
import { VerifierError } from '../errors.js';
import type { MapSpec, ProgramSpec } from '../program/types.js';
import { checkContextAccess } from './context.js';
import { checkHelpers, type HelperSet } from './helpers.js';
import { programInput, type VerifyProgramResult, verifyProgram } from './verify-program.js';

export interface VerifyOptions {
  /** The helper ids the runtime implements; calls to others are NotSupportedError. */
  readonly helpers: HelperSet;
  /** Run the full verifier (verifyProgram) instead of the passes; needs `maps`. */
  readonly full?: boolean;
  /** The maps the program names (for `full`). */
  readonly maps?: readonly MapSpec[];
  /** Privileged loading (the default), for `full`. */
  readonly privileged?: boolean;
  /** The object's BTF, for `full`: with the program's func_info it marks global functions. */
  readonly btf?: Btf;
}

/** What verification found out about a program (its control-flow graph; the full verifier's result). */
export interface Verified {
  readonly cfg: Cfg;
  readonly result?: VerifyProgramResult;
  /** What the full verifier proved of each load and store (result.proved), for the engine. */
  readonly proved?: Uint8Array | undefined;
}

/** Runs every pass over `program`; throws at the first refusal. */
export function verify(
  program: Pick<ProgramSpec, 'name' | 'type' | 'instructions'> &
    Partial<Pick<ProgramSpec, 'attachType' | 'lineInfo' | 'funcInfo'>>,
  options: VerifyOptions,
): Verified {
  const named = (message: string) =>
    program.name === '' ? message : `program '${program.name}': ${message}`;
  try {
    const cfg = buildCfg(program.instructions);
    checkHelpers(program.name, program.type, program.instructions, options.helpers, cfg);
    if (options.full !== true) {
      checkContextAccess(program.type, program.instructions, cfg, program.attachType);
      return { cfg };
    }
    const result = verifyProgram(
      programInput(
        { maps: options.maps ?? [], ...(options.btf === undefined ? {} : { btf: options.btf }) },
        program,
        {
          privileged: options.privileged ?? true,
          logLevel: 0,
          cfg,
        },
      ),
    );
    if (result.verdict === 'rejected') {
      const e = result.explanation!;
      throw new VerifierError(named(result.explanationText ?? e.message), result.log, e.pc);
    }
    return { cfg, result, proved: result.proved };
  } catch (e) {
    // An object holds many programs: a refusal must say which one (the log stays the kernel's).
    if (e instanceof VerifierError && program.name !== '' && !e.message.startsWith(`program '`))
      throw new VerifierError(named(e.message), e.log, e.pc);
    throw e;
  }
}
