// The JIT's refusals of programs the interpreter runs that a test may meet, each with its reason
// (test/engines.ts fails any other; src/jit/differential.test.ts counts them by reason).

/**
 * The JIT refusals a test may meet on the JIT pass, each with its reason; the program then runs
 * on the interpreter (engineReason says why). Any other refusal of a program the interpreter runs
 * fails the test: the JIT never falls back silently.
 */
export const JIT_REFUSALS: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    pattern:
      /^insn \d+: (last insn is not an exit or jmp|jump out of range|jump into the middle of ldimm64|call to invalid destination)/,
    reason:
      'a malformed control-flow graph: the JIT structures the whole graph when it compiles (the kernel refuses it at load too); the interpreter tests run such unverified programs until control reaches the bad instruction',
  },
];
