#!/usr/bin/env node
// Runs the differential verdict test on any number of seeds (the test runs a few hundred):
//   npm run build && node scripts/verifier-diff.mjs [COUNT] [FIRST_SEED] [--mixed | --unprivileged]
// --mixed: the composed programs of test/gen/verifier-mixed.ts (default: the five narrow shapes
// of test/gen/verifier-programs.ts). --unprivileged: the socket filters of
// test/gen/verifier-unprivileged.ts loaded without capabilities (the kernel's side as nobody,
// kernel.unprivileged_bpf_disabled turned from 2 to 0 for each batch of 5,000 and back:
// test/gen/unprivileged-kernel.ts). Prints the agreement, the seeds where the verdicts differ,
// and the differences counted by cause (root on Linux: bpf()). Exit status 1 when tsbpf accepted
// a program the kernel refused.
import { askUnprivilegedKernel, unprivilegedAvailability } from '../dist/test/gen/unprivileged-kernel.js';
import { cause, diffOne } from '../dist/test/gen/verifier-diff-run.js';
import { generateMixed } from '../dist/test/gen/verifier-mixed.js';
import { generateProgram } from '../dist/test/gen/verifier-programs.js';
import { generateUnprivileged } from '../dist/test/gen/verifier-unprivileged.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const mixed = process.argv.includes('--mixed');
const unprivileged = process.argv.includes('--unprivileged');
const count = Number(args[0] ?? 10000);
const first = Number(args[1] ?? 1);
const generate = unprivileged ? generateUnprivileged : mixed ? generateMixed : generateProgram;
if (unprivileged && !unprivilegedAvailability().ok) {
  console.error(`--unprivileged: ${unprivilegedAvailability().reason}`);
  process.exit(2);
}
/** The unprivileged kernel's outcomes, asked 5,000 seeds at a time. */
const BATCH = 5000;
let asked = { from: 0, outcomes: [] };
const kernelFor = (seed) => {
  if (seed >= asked.from + asked.outcomes.length) {
    const n = Math.min(BATCH, first + count - seed);
    asked = { from: seed, outcomes: askUnprivilegedKernel({ seeds: { first: seed, count: n } }).seeds };
  }
  return asked.outcomes[seed - asked.from];
};
const tally = {
  agree: 0,
  bothRefused: 0,
  sameMessage: 0,
  accepted: 0,
  rejected: 0,
  kernelBug: [],
  looser: [],
  stricter: [],
  clean: 0,
  cleanRejected: 0,
  // Both accepted: processed-instruction counts equal, above and below the kernel's.
  counts: { equal: 0, more: [], fewer: [], ours: 0, theirs: 0 },
};
const causes = { looser: new Map(), stricter: new Map(), message: new Map() };
const note = (m, key, seed) => {
  const k = cause(key ?? '?');
  if (!m.has(k)) m.set(k, []);
  m.get(k).push(seed);
};
for (let seed = first; seed < first + count; seed++) {
  const g = generate(seed);
  const o = unprivileged ? diffOne(g.spec, { privileged: false, kernel: kernelFor(seed) }) : diffOne(g.spec);
  if (g.clean) tally.clean++;
  if (o.theirs === 'kernel-bug') {
    tally.kernelBug.push(seed);
    continue;
  }
  tally[o.theirs]++;
  if (g.clean && o.theirs === 'rejected') tally.cleanRejected++;
  if (o.processed !== undefined) {
    const c = tally.counts;
    c.ours += o.processed.ours;
    c.theirs += o.processed.theirs;
    if (o.processed.ours === o.processed.theirs) c.equal++;
    else (o.processed.ours > o.processed.theirs ? c.more : c.fewer).push(seed);
  }
  if (o.ours === 'rejected' && o.theirs === 'rejected') {
    // The refusal's last line in both logs (the kernel's: its log's, at level 1).
    tally.bothRefused++;
    const ours = (o.ourMessage ?? '').split('\n').at(-1);
    const theirs = (o.theirMessage ?? '').replace(/^\d+: /, '');
    if (ours === theirs) tally.sameMessage++;
    else note(causes.message, `${theirs}  <>  ${ours}`, seed);
  }
  if (o.ours === o.theirs) tally.agree++;
  else if (o.ours === 'accepted') {
    tally.looser.push(seed);
    note(causes.looser, o.theirMessage, seed);
  } else {
    tally.stricter.push(seed);
    note(causes.stricter, o.ourMessage, seed);
  }
}
const compared = count - tally.kernelBug.length;
console.log(
  `${count} ${mixed ? 'mixed ' : unprivileged ? 'unprivileged ' : ''}programs: ${tally.agree} of ${compared} agree (kernel: ${tally.accepted} accepted, ${tally.rejected} rejected)`,
);
if (mixed) console.log(`clean programs: ${tally.clean}, of which the kernel refused ${tally.cleanRejected}`);
console.log(
  `kernel failures (EFAULT, not compared): ${tally.kernelBug.length} ${tally.kernelBug.slice(0, 10).join(' ')}`,
);
console.log(
  `tsbpf accepts, kernel refuses (bugs): ${tally.looser.length} ${tally.looser.slice(0, 20).join(' ')}`,
);
for (const [k, v] of causes.looser)
  console.log(`  ${v.length}  kernel: ${k}  (seeds ${v.slice(0, 5).join(' ')})`);
console.log(
  `tsbpf refuses, kernel accepts: ${tally.stricter.length} ${tally.stricter.slice(0, 20).join(' ')}`,
);
for (const [k, v] of [...causes.stricter].sort((a, b) => b[1].length - a[1].length))
  console.log(`  ${v.length}  tsbpf: ${k}  (seeds ${v.slice(0, 5).join(' ')})`);
console.log(`refused by both: ${tally.bothRefused}, with the kernel's message: ${tally.sameMessage}`);
for (const [k, v] of [...causes.message].sort((a, b) => b[1].length - a[1].length).slice(0, 10))
  console.log(`  ${v.length}  kernel <> tsbpf: ${k}  (seeds ${v.slice(0, 5).join(' ')})`);
const c = tally.counts;
console.log(
  `processed instructions, both accepting: equal on ${c.equal} of ${c.equal + c.more.length + c.fewer.length}; tsbpf more on ${c.more.length} (seeds ${c.more.slice(0, 8).join(' ')}), fewer on ${c.fewer.length} (seeds ${c.fewer.slice(0, 8).join(' ')}); total ${c.ours} against the kernel's ${c.theirs}`,
);
process.exit(tally.looser.length === 0 ? 0 : 1);
