#!/usr/bin/env node
// A/B of a fresh process's first verifications: another checkout's build (A) and this one's (B),
// each in new processes, alternating: every process verifies the example programs of
// bench/verifier.bench.ts six times each, one program after the other, and reports its CPU time
// (V8's compiler threads included, as the bench's first-rounds column counts them). Prints
// every run and the median of each side.
//   npm run build && node scripts/verifier-first-ab.mjs /path/to/other/checkout [RUNS]
// (the other checkout built too: its dist/ is imported; the examples are this checkout's).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const other = process.argv[2];
if (other === undefined) throw new Error('usage: node scripts/verifier-first-ab.mjs OTHER_CHECKOUT [RUNS]');
const here = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[3] ?? 9);

/** One fresh process of scripts/verifier-first-rounds.mjs on `root`'s build: its CPU time, µs. */
function run(root) {
  const script = fileURLToPath(new URL('verifier-first-rounds.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`a run of ${root} failed: ${r.stderr}`);
  const m = /^cpu_us (\d+)/m.exec(r.stdout);
  if (m === null) throw new Error(`a run of ${root} printed no cpu_us line: ${r.stdout}`);
  return Number(m[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const a = [];
const b = [];
for (let k = 0; k < RUNS; k++) {
  a.push(run(other));
  b.push(run(here));
}
const ms = (us) => (us / 1000).toFixed(0);
console.log(`A (${other}): ${a.map(ms).join(' ')} ms`);
console.log(`B (${here}): ${b.map(ms).join(' ')} ms`);
console.log(
  `median A ${ms(median(a))} ms, B ${ms(median(b))} ms, B / A ${(median(b) / median(a)).toFixed(2)}`,
);
