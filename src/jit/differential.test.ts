// The differential test of the JIT against the interpreter (the oracle): over generated programs
// (test/gen/, the generators the kernel oracle test uses) both engines must leave the same
// registers and stack (the 18 result words), the same r0 and step count, or the same error
// (class and message: MemoryFault, BudgetExceededError, RuntimeFault, NotSupportedError).
// Programs the JIT cannot compile (shapes the CFG refuses) are counted by reason and must be a
// refusal test/jit-refusals.ts lists, not a crash of the compiler; a program the interpreter
// refuses when built (an lddw it cannot resolve, reachable or not) the JIT must refuse with the
// same error. Seven in eight random programs have their targets folded into a well-formed graph
// (test/gen/targets.ts), so most reach the JIT.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EngineRunner } from '../../test/gen/engine-run.js';
import { arbFlowProgram } from '../../test/gen/flow.js';
import { arbProgram } from '../../test/gen/instructions.js';
import { programArb } from '../../test/gen/program.js';
import { mostlyWellFormed } from '../../test/gen/targets.js';
import { JIT_REFUSALS } from '../../test/jit-refusals.js';
import { Interpreter } from '../interp/index.js';
import { type Instruction, insn, op } from '../isa/index.js';
import { AddressSpace, runWithMemory } from '../runtime/index.js';
import { JitEngine } from './index.js';

const EXIT = insn(op.OP_EXIT, 0, 0, 0, 0);
const RUNS = Number(process.env.TSBPF_DIFF_RUNS ?? 300);

test(`verifier-valid generated programs: identical registers and stack (${RUNS} programs)`, () => {
  const interp = new EngineRunner((p, o) => new Interpreter(p, o));
  const jit = new EngineRunner((p, o) => new JitEngine(p, o));
  fc.assert(
    fc.property(programArb(), (p) => {
      assert.deepEqual(jit.run(p), interp.run(p));
    }),
    { numRuns: RUNS },
  );
});

function runOn(kind: 'interp' | 'jit', program: readonly Instruction[]): string {
  const memory = new AddressSpace();
  const helpers = new Map([[1, (_e: unknown, r1: bigint, r2: bigint) => r1 + r2]]);
  let engine: Interpreter | JitEngine;
  try {
    engine =
      kind === 'jit'
        ? new JitEngine(program, { memory, budget: 2000, helpers })
        : new Interpreter(program, { memory, budget: 2000, helpers });
  } catch (e) {
    return `refused: ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  const block = Uint8Array.from({ length: 64 }, (_, k) => k * 7);
  try {
    const r = runWithMemory(engine, block);
    return `r0 ${r.r0} steps ${r.steps} memory ${Buffer.from(r.memory).toString('hex')}`;
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

for (const [name, arb] of [
  [
    'random instructions (faults, helpers, unverified data flow)',
    mostlyWellFormed(arbProgram(40).map((p) => [...p, EXIT])),
  ],
  ['random control flow (loops, calls, callbacks, budget)', arbFlowProgram(24)],
] as const) {
  test(`${name}: the same outcome on both engines (${RUNS} programs)`, (t) => {
    let compiled = 0;
    const refusals = new Map<string, number>();
    fc.assert(
      fc.property(arb, (program) => {
        const j = runOn('jit', program);
        const i = runOn('interp', program);
        // The JIT may refuse what the interpreter runs (load() then falls back to it) for a listed
        // reason; never the reverse: what the interpreter refuses at load, the JIT refuses alike.
        if (j.startsWith('refused') && !i.startsWith('refused')) {
          const message = j.replace(/^refused: \w+: /, '');
          assert.ok(
            JIT_REFUSALS.some((r) => r.pattern.test(message)),
            `a refusal test/jit-refusals.ts does not list: ${message}`,
          );
          const reason = message.replace(/\d+/g, 'N');
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
          return;
        }
        if (!j.startsWith('refused')) compiled++;
        assert.equal(j, i);
      }),
      { numRuns: RUNS, seed: Number(process.env.TSBPF_DIFF_SEED ?? 1) },
    );
    // Not a vacuous property: most programs must have been compiled and compared.
    t.diagnostic(`${compiled} of ${RUNS} programs compiled and compared`);
    for (const [reason, n] of refusals)
      t.diagnostic(`${n} refused by the JIT (interpreter ran them): ${reason}`);
    assert.ok(compiled > RUNS / 2, `only ${compiled} of ${RUNS} programs compiled`);
  });
}
