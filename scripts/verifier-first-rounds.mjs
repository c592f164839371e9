#!/usr/bin/env node
// A fresh process's first verifications: the example programs of bench/verifier.bench.ts, one
// after the other, six rounds, each verification's wall time printed (ms, a row per round), then
// the whole run's CPU time (every thread of the process: V8's compiler threads too) and wall time.
// ROOT is the checkout whose build is imported (default this one; the examples are this one's).
// Node's flags go before the script, e.g. to see V8's thread pool at work on a 2-core machine:
//   npm run build && node [--v8-pool-size=N] scripts/verifier-first-rounds.mjs [ROOT]
// scripts/verifier-first-ab.mjs runs this in new processes for two builds.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_PROGRAMS } from './verifier-examples.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const root = process.argv[2] ?? here;
const { load, loadCollectionSpec, programInput, verifyProgram } = await import(`${root}/dist/src/index.js`);
// Loaded before the clock starts: only verifications are timed.
const inputs = EXAMPLE_PROGRAMS.map((name) => {
  const bytes = new Uint8Array(readFileSync(`${here}examples/${name}.v3.o`));
  const c = load(loadCollectionSpec(bytes), { verify: false });
  return programInput(c.spec, c.spec.programs[0], { logLevel: 0 });
});
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const rounds = [];
for (let k = 0; k < 6; k++) {
  const row = [];
  for (const input of inputs) {
    const t = performance.now();
    verifyProgram(input);
    row.push((performance.now() - t).toFixed(2));
  }
  rounds.push(row);
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
console.log(`| round | ${EXAMPLE_PROGRAMS.join(' | ')} |`);
console.log(`|---|${EXAMPLE_PROGRAMS.map(() => '---|').join('')}`);
for (const [k, row] of rounds.entries()) console.log(`| ${k + 1} | ${row.join(' | ')} |`);
console.log(`cpu_us ${cpu.user + cpu.system} wall_us ${Math.round(wall * 1000)}`);
