// The kernel as the oracle of the scalar domain: generated straight-line programs are loaded with
// log level 2 and every scalar state the log prints (after each instruction, on each jump's
// taken edge) is compared with the domain's. TSBPF_SCALAR_ORACLE=N sets the number of programs
// (default 60); the agreement is printed. Skipped where bpf() is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assembleSteps, compare, emptyComparison, programArb } from '../../../test/gen/scalar-oracle.js';
import { bpfAvailability, loadProgram } from '../../kernel/index.js';

const available = bpfAvailability();
const PROGRAMS = Number(process.env.TSBPF_SCALAR_ORACLE ?? 60);
const SEED = Number(process.env.TSBPF_SCALAR_SEED ?? 20261205);

test(`scalar domain agrees with the kernel's verifier log on ${PROGRAMS} generated programs`, {
  skip: available.ok ? false : `bpf() unavailable: ${available.reason}`,
}, () => {
  const result = emptyComparison();
  let refused = 0;
  const refusals: string[] = [];
  for (const steps of fc.sample(programArb, { numRuns: PROGRAMS, seed: SEED })) {
    const { insns } = assembleSteps(steps);
    let log: string;
    try {
      using p = loadProgram({ type: 'SOCKET_FILTER', insns, logLevel: 2, logSize: 1 << 20 });
      log = p.log;
    } catch (e) {
      refused++;
      refusals.push(String((e as Error).message));
      continue;
    }
    compare(steps, log, result);
  }
  const pct = (n: number) => ((100 * n) / Math.max(1, result.compared)).toFixed(2);
  console.log(
    `scalar oracle: ${PROGRAMS} programs (${refused} refused), ${result.compared} register states: ` +
      `${result.equal} equal (${pct(result.equal)}%), ${result.textEqual} identical log text ` +
      `(${pct(result.textEqual)}%); ${result.deadEdge} more on edges the domain proved dead (not compared)`,
  );
  console.log(`scalar oracle: ${result.programsEqual}/${result.programs} programs agree at every state`);
  for (const m of result.firsts.slice(0, Number(process.env.TSBPF_SCALAR_SHOW ?? 5)))
    console.log(JSON.stringify(m));
  assert.equal(refused, 0, `the kernel refused generated programs: ${refusals.slice(0, 3).join(' | ')}`);
  assert.deepEqual(result.mismatches.slice(0, 3), [], 'register states that differ from the kernel');
  assert.deepEqual(result.textMismatches.slice(0, 3), [], 'log text that differs from the kernel');
});
