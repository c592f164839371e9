// The engine a parameterized test runs on: engine-level tests run once per engine (scripts/test.mjs
// runs them a second time with TSBPF_ENGINE set to the other engine). `EngineUnderTest` stands in
// for `new Interpreter(...)` in the interpreter's tests (default: the interpreter; a step hook
// always runs there, the JIT has none); `loadUnderTest` for `load(...)` (default: the JIT).
// A JIT refusal is a test failure unless JIT_REFUSALS lists it with its reason.

import process from 'node:process';
import type { Engine, EngineOptions, Instruction } from '../src/index.js';
import { type EngineName, Interpreter, JitEngine, load } from '../src/index.js';
import { JIT_REFUSALS } from './jit-refusals.js';

const chosen = process.env.TSBPF_ENGINE as EngineName | undefined;

/** The engine the interpreter-level tests run on. */
export const ENGINE_UNDER_TEST: EngineName = chosen ?? 'interp';

/** The engine load() users run on (default: the JIT, as load's own default). */
export const LOAD_ENGINE: EngineName = chosen ?? 'jit';

/** An engine of the kind under test, with the members tests use. */
export type TestEngine = Engine & {
  readonly slots: number;
  callFunction(slot: number, args?: readonly bigint[]): ReturnType<Engine['run']>;
  close(): void;
};

export const EngineUnderTest = function EngineUnderTest(
  program: readonly Instruction[],
  options: EngineOptions = {},
): TestEngine {
  if (ENGINE_UNDER_TEST === 'jit' && options.onStep === undefined) {
    try {
      return new JitEngine(program, options);
    } catch (e) {
      // Both engines refusing alike is no fallback: the interpreter throws its own error here.
      const interp = new Interpreter(program, options);
      const message = e instanceof Error ? e.message : String(e);
      const listed = JIT_REFUSALS.find((r) => r.pattern.test(message));
      if (listed === undefined)
        throw new Error(
          `the JIT refused a program the interpreter runs (not a listed refusal, see test/engines.ts): ${message}`,
        );
      interp.engineReason = `${message} (${listed.reason})`;
      return interp as TestEngine;
    }
  }
  return new Interpreter(program, options) as TestEngine;
} as unknown as new (
  program: readonly Instruction[],
  options?: EngineOptions,
) => TestEngine;

/** load() on the engine under test (default: the JIT, as load's own default). */
export function loadUnderTest(...[spec, options]: Parameters<typeof load>): ReturnType<typeof load> {
  const engine = options?.engine ?? LOAD_ENGINE;
  const collection = load(spec, { ...options, engine });
  if (engine !== 'jit') return collection;
  // load() runs what the JIT refuses on the interpreter and says why; a test wants the JIT.
  for (const [name, p] of collection.programs) {
    const reason = p.engineReason;
    if (p.engineName === 'jit' || (reason !== undefined && JIT_REFUSALS.some((r) => r.pattern.test(reason))))
      continue;
    collection.close();
    throw new Error(`the JIT refused program ${name}, which load() ran on the interpreter: ${reason}`);
  }
  return collection;
}
