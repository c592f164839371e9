// Differential verdicts: generated plausible programs (test/gen/verifier-programs.ts) through
// tsbpf's verifier and the kernel's. A program tsbpf accepts and the kernel refuses is a bug
// (a safety rule missed); the reverse is a precision gap, counted and reported. The batch here is
// CI-sized; scripts/verifier-diff.mjs runs any number of seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateProgram } from '../../test/gen/verifier-programs.js';
import { VerifierError } from '../errors.js';
import { verifyProgram } from '../verifier/index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const COUNT = 300;

function kernelVerdict(spec: Parameters<typeof loadKernel>[0]): 'accepted' | 'rejected' {
  try {
    loadKernel(spec).close();
    return 'accepted';
  } catch (e) {
    if (e instanceof VerifierError) return 'rejected';
    throw e;
  }
}

test('generated programs: tsbpf never accepts what the kernel refuses', { skip }, (t) => {
  let agree = 0;
  const looser: number[] = [];
  const stricter: number[] = [];
  for (let seed = 1; seed <= COUNT; seed++) {
    const g = generateProgram(seed);
    const p = g.spec.programs[0]!;
    const ours = verifyProgram({
      instructions: p.instructions,
      type: p.type,
      maps: g.spec.maps,
      logLevel: 0,
    });
    const theirs = kernelVerdict(g.spec);
    if (ours.verdict === theirs) agree++;
    else if (ours.verdict === 'accepted') looser.push(seed);
    else stricter.push(seed);
  }
  t.diagnostic(`agreement ${agree}/${COUNT}; tsbpf stricter on seeds ${stricter.join(',') || 'none'}`);
  assert.deepEqual(
    looser,
    [],
    `tsbpf accepts what the kernel refuses: ${looser.map((s) => `\n${generateProgram(s).text}`).join('\n--')}`,
  );
});
