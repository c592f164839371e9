#!/usr/bin/env node
// The verifier's soundness over many composed programs (the test runs 40):
//   npm run build && node scripts/verifier-soundness.mjs [PROGRAMS] [FIRST_SEED] [INPUTS] [--unprivileged]
// Every program tsbpf's verifier accepts runs INPUTS random packets (default 8) with random map
// contents on the interpreter and the JIT; any error is a failure (exit status 1), and so is a JIT
// run whose retval, packet, context or maps differ from the interpreter's.
// --unprivileged: the socket filters of test/gen/verifier-unprivileged.ts, verified unprivileged.
import { MIXED, soundness } from '../dist/test/gen/verified-soundness.js';
import { generateUnprivileged } from '../dist/test/gen/verifier-unprivileged.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const count = Number(args[0] ?? 2000);
const first = Number(args[1] ?? 1);
const inputs = Number(args[2] ?? 8);
const source = process.argv.includes('--unprivileged')
  ? { generate: generateUnprivileged, privileged: false }
  : MIXED;
const t = soundness(first, count, inputs, false, undefined, source);
console.log(`${t.programs} programs, ${t.accepted} accepted by tsbpf, ${t.runs} runs on the two engines`);
console.log(`failures: ${t.failures.length}`);
for (const f of t.failures.slice(0, 10))
  console.log(`  seed ${f.seed} ${f.engine} input ${f.run}: ${f.error}`);
console.log(`compared with the interpreter: ${[...t.compared].map(([b, n]) => `${n} on ${b}`).join(', ')}`);
for (const [why, n] of t.apart) console.log(`not run: ${n} (${why})`);
console.log(`engines disagreeing: ${t.engineDisagreements.length}`);
for (const d of t.engineDisagreements.slice(0, 10)) console.log(`  seed ${d.seed} ${d.backend}: ${d.first}`);
process.exit(t.failures.length === 0 && t.engineDisagreements.length === 0 ? 0 : 1);
