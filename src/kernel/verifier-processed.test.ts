// How much work tsbpf's verifier does against the kernel's: the instructions each processes on
// every example program (the kernel's count is the `processed N insns` line of its log,
// BPF_LOG_STATS; bench/verifier.bench.ts prints the same for the 6,000-instruction lb-program).
// On the kernel the counts were taken from (6.18), every program processes exactly the kernel's
// count but those of DIFFERENT, whose pruning differs in known ways. Elsewhere, and for those,
// the counts must stay within the margins below: more than UPPER times the kernel's means a cause
// of lost pruning came back, fewer than LOWER times means tsbpf prunes far more than the kernel,
// which deserves a look at soundness.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { test } from 'node:test';
import { missingHelper } from '../../test/kernel-helpers.js';
import { type CollectionSpec, load, loadCollectionSpec, programInput, verifyProgram } from '../index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** Per program: at most UPPER times the kernel's count, plus SLACK for the smallest programs. */
const UPPER = 1.75;
const SLACK = 16;
/** Per program: at least LOWER times the kernel's count. */
const LOWER = 0.75;
/** All programs together: at most TOTAL times the kernel's total. */
const TOTAL = 1.1;

const EXAMPLES = new URL('../../../examples/', import.meta.url);

/** The kernel series the exact counts hold on (its heuristics change between releases). */
const EXACT_ON = /^6\.18\./;
/** Programs whose counts differ from the kernel's, and why (docs/testing.md, "Instructions processed"). */
const DIFFERENT = new Map([
  [
    'xdp_for_each',
    "the callback compares a slot of its caller's frame (fp-32): tsbpf's static precision keeps it, where the kernel widens it at the callback's return",
  ],
]);

function objects(): { name: string; spec: CollectionSpec }[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.v3.o'))
    .map((f) => ({ name: f, spec: loadCollectionSpec(new Uint8Array(readFileSync(new URL(f, EXAMPLES)))) }));
}

/** Processed instructions by program name: tsbpf's verifier and the kernel's on the same object. */
function counts(spec: CollectionSpec): Map<string, { ours: number; kernel: number }> {
  const out = new Map<string, { ours: number; kernel: number }>();
  using ours = load(spec, { verify: false }); // CO-RE relocated, as the kernel sees the programs
  using kernel = loadKernel(spec, { logLevel: 4 });
  for (const p of ours.spec.programs) {
    const r = verifyProgram(programInput(ours.spec, p));
    assert.equal(r.verdict, 'accepted', `${p.name}: tsbpf refused it`);
    const n = /processed (\d+) insns/.exec(kernel.program(p.name).log ?? '');
    assert.ok(n !== null, `${p.name}: no count in the kernel's log`);
    out.set(p.name, { ours: r.stats.processed, kernel: Number(n[1]) });
  }
  return out;
}

test("tsbpf processes about as many instructions as the kernel's verifier", { skip }, (t) => {
  let ours = 0;
  let theirs = 0;
  const off: string[] = [];
  const exact = EXACT_ON.test(release());
  if (!exact) t.diagnostic(`kernel ${release()}: counts compared within margins only (exact on 6.18)`);
  for (const o of objects()) {
    const lacking = missingHelper(o.spec);
    if (lacking !== undefined) {
      t.diagnostic(`${o.name} left out: ${lacking}`);
      continue;
    }
    for (const [name, c] of counts(o.spec)) {
      ours += c.ours;
      theirs += c.kernel;
      if (c.ours > c.kernel * UPPER + SLACK || c.ours < c.kernel * LOWER)
        off.push(`${o.name} ${name}: ${c.ours} processed, the kernel ${c.kernel}`);
      else if (exact && !DIFFERENT.has(name) && c.ours !== c.kernel)
        off.push(`${o.name} ${name}: ${c.ours} processed, the kernel ${c.kernel} (equal until now)`);
    }
  }
  assert.deepEqual(off, [], `outside ${LOWER}-${UPPER}x the kernel's count`);
  assert.ok(ours <= theirs * TOTAL, `${ours} processed in all, the kernel ${theirs}`);
});
