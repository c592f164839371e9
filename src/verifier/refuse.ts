// How a rule of the abstract interpreter refuses a program: a Refusal carries the kernel's
// message (its wording, so that people who search for it find answers) and, apart from it, the
// safety property that failed and a one-line hint of the usual fix. The walker turns it into a
// VerifierError with the log, the path and the source line.

/** The safety properties the verifier proves; every refusal names one. */
export type Property =
  | 'structure'
  | 'register-initialised'
  | 'memory-bounds'
  | 'memory-type'
  | 'null-check'
  | 'context-access'
  | 'stack-bounds'
  | 'pointer-arithmetic'
  | 'helper-arguments'
  | 'reference-release'
  | 'termination'
  | 'complexity'
  | 'return-value'
  | 'call-depth'
  | 'division';

export class Refusal extends Error {
  readonly property: Property;
  readonly hint: string | undefined;
  /** The register whose state broke the rule, when one did. */
  readonly reg: number | undefined;
  constructor(property: Property, message: string, options: { hint?: string; reg?: number } = {}) {
    super(message);
    this.property = property;
    this.hint = options.hint;
    this.reg = options.reg;
  }
}

export function refuse(
  property: Property,
  message: string,
  options: { hint?: string; reg?: number } = {},
): never {
  throw new Refusal(property, message, options);
}
