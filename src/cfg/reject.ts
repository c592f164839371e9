// How a structural check (and each verifier pass above it) refuses a program: a VerifierError
// whose log is the kernel's line for the same refusal and which names the pc.

import { VerifierError } from '../errors.js';

/** The refusal at `pc` (undefined: no one instruction) with the kernel's log line. */
export function rejected(pc: number | undefined, line: string, context?: string): VerifierError {
  const where = pc === undefined ? '' : `insn ${pc}: `;
  return new VerifierError(`${where}${line}${context === undefined ? '' : ` (${context})`}`, `${line}\n`, pc);
}
