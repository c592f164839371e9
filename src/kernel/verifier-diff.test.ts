// Differential verdicts: generated plausible programs through tsbpf's verifier and the kernel's.
// A program tsbpf accepts and the kernel refuses is a bug (a safety rule missed); the reverse is a
// precision gap, counted and reported. Two generators: the five narrow shapes of
// test/gen/verifier-programs.ts, and the composed programs of test/gen/verifier-mixed.ts (parses,
// lookups, spills, loops, bpf_loop callbacks, calls, ring-buffer records in one program). The
// batches here are CI-sized; scripts/verifier-diff.mjs runs any number of seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffBatch } from '../../test/gen/verifier-diff-run.js';
import { generateMixed } from '../../test/gen/verifier-mixed.js';
import { generateProgram } from '../../test/gen/verifier-programs.js';
import type { CollectionSpec } from '../program/index.js';
import { bpfAvailability } from './available.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

function run(
  t: { diagnostic(m: string): void },
  count: number,
  generate: (seed: number) => { text: string; spec: CollectionSpec },
): void {
  const b = diffBatch(1, count, generate);
  t.diagnostic(b.summary);
  assert.deepEqual(b.looser, [], `tsbpf accepts what the kernel refuses:\n${b.looser.join('\n--\n')}`);
}

test('generated programs: tsbpf never accepts what the kernel refuses', { skip }, (t) => {
  run(t, 300, generateProgram);
});

test('composed programs: tsbpf never accepts what the kernel refuses', { skip }, (t) => {
  run(t, 300, generateMixed);
});
