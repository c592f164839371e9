// The engine a parameterized test runs on: engine-level tests run once per engine (scripts/test.mjs
// runs them a second time with TSBPF_ENGINE set to the other engine). `EngineUnderTest` stands in
// for `new Interpreter(...)` in the interpreter's tests (default: the interpreter; a step hook
// always runs there, the JIT has none); `loadUnderTest` for `load(...)` (default: the JIT).

import process from 'node:process';
import type { Engine, EngineOptions, Instruction } from '../src/index.js';
import { type EngineName, Interpreter, JitEngine, load } from '../src/index.js';

const chosen = process.env.TSBPF_ENGINE as EngineName | undefined;

/** The engine the interpreter-level tests run on. */
export const ENGINE_UNDER_TEST: EngineName = chosen ?? 'interp';

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
    // As load() does: what the JIT cannot compile (unverified shapes the CFG refuses) runs on the interpreter.
    try {
      return new JitEngine(program, options);
    } catch {}
  }
  return new Interpreter(program, options) as TestEngine;
} as unknown as new (
  program: readonly Instruction[],
  options?: EngineOptions,
) => TestEngine;

/** load() on the engine under test (default: the JIT, as load's own default). */
export function loadUnderTest(...[spec, options]: Parameters<typeof load>): ReturnType<typeof load> {
  return load(spec, { engine: chosen ?? 'jit', ...options });
}
