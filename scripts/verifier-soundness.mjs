#!/usr/bin/env node
// The verifier's soundness over many composed programs (the test runs 40):
//   npm run build && node scripts/verifier-soundness.mjs [PROGRAMS] [FIRST_SEED] [INPUTS]
// Every program tsbpf's verifier accepts runs INPUTS random packets (default 8) with random map
// contents on the interpreter and the JIT; any error is a failure (exit status 1). Engines that
// disagree on retval or packet are listed too (a JIT matter, not the verifier's).
import { soundness } from '../dist/test/gen/verified-soundness.js';

const count = Number(process.argv[2] ?? 2000);
const first = Number(process.argv[3] ?? 1);
const inputs = Number(process.argv[4] ?? 8);
const t = soundness(first, count, inputs);
console.log(`${t.programs} programs, ${t.accepted} accepted by tsbpf, ${t.runs} runs on the two engines`);
console.log(`failures: ${t.failures.length}`);
for (const f of t.failures.slice(0, 10))
  console.log(`  seed ${f.seed} ${f.engine} input ${f.run}: ${f.error}`);
console.log(
  `engines disagreeing: ${t.engineDisagreements.length} ${t.engineDisagreements.slice(0, 10).join(' ')}`,
);
process.exit(t.failures.length === 0 ? 0 : 1);
