#!/usr/bin/env node
import { VerifierError } from '../dist/src/errors.js';
import { loadKernel } from '../dist/src/kernel/index.js';
import { verifyProgram } from '../dist/src/verifier/index.js';
// Runs the differential verdict test on any number of seeds (the test runs 300):
//   npm run build && node scripts/verifier-diff.mjs [COUNT] [FIRST_SEED]
// Prints the agreement and the seeds where the verdicts differ (root on Linux: bpf()).
import { generateProgram } from '../dist/test/gen/verifier-programs.js';

const count = Number(process.argv[2] ?? 10000);
const first = Number(process.argv[3] ?? 1);
const tally = { agree: 0, accepted: 0, rejected: 0, looser: [], stricter: [] };
for (let seed = first; seed < first + count; seed++) {
  const g = generateProgram(seed);
  const p = g.spec.programs[0];
  const ours = verifyProgram({
    instructions: p.instructions,
    type: p.type,
    maps: g.spec.maps,
    logLevel: 0,
  }).verdict;
  let theirs = 'accepted';
  try {
    loadKernel(g.spec).close();
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    theirs = 'rejected';
  }
  tally[theirs]++;
  if (ours === theirs) tally.agree++;
  else (ours === 'accepted' ? tally.looser : tally.stricter).push(seed);
}
console.log(
  `${count} programs: ${tally.agree} agree (kernel: ${tally.accepted} accepted, ${tally.rejected} rejected)`,
);
console.log(
  `tsbpf accepts, kernel refuses (bugs): ${tally.looser.length} ${tally.looser.slice(0, 20).join(' ')}`,
);
console.log(
  `tsbpf refuses, kernel accepts: ${tally.stricter.length} ${tally.stricter.slice(0, 20).join(' ')}`,
);
process.exit(tally.looser.length === 0 ? 0 : 1);
