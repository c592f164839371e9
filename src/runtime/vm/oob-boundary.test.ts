// Region boundaries, generated (test/gen/oob-boundary.ts): single accesses of 1, 2, 4 or 8 bytes
// around the packet's end and start, the metadata's start, an array value's ends, a stack frame's
// bottom and top (the program's and a callee's), a ring-buffer record's ends. The VM, unverified,
// must fault exactly when the generator calls the access out of bounds; a sample goes to the
// kernel, whose verifier must accept exactly the ones it calls in bounds. Both together: the VM's
// boundaries are the kernel's.
// TSBPF_PROPERTY_SEED replays (fixed by default; `random` explores), TSBPF_OOB_RUNS sizes the VM part.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  anyProbeArb,
  BOUNDARIES,
  type Boundary,
  type Probe,
  probeArb,
  probeProgram,
} from '../../../test/gen/oob-boundary.js';
import { describeOutcome, runUnverified } from '../../../test/gen/oob-run.js';
import { VerifierError } from '../../errors.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const SEED_ENV = process.env.TSBPF_PROPERTY_SEED ?? '20261204';
const SEED = SEED_ENV === 'random' ? undefined : Number(SEED_ENV);
const RUNS = Number(process.env.TSBPF_OOB_RUNS ?? 3000);
/** Probes per boundary sent to the kernel. */
const KERNEL_SAMPLE = 50;

/** The kernel's reason for refusing an out-of-bounds probe of each boundary. */
const REFUSAL: Record<Boundary, RegExp> = {
  'packet-end': /invalid access to packet/,
  'packet-start': /invalid access to packet/,
  'meta-start': /invalid access to packet/,
  value: /invalid access to map value/,
  stack: /invalid (read from|write to) stack R10/,
  record: /invalid access to memory/,
};

const show = (p: Probe, text: string) => `${JSON.stringify(p)}\n${text}`;

/** Throws unless the VM faults exactly when the probe is out of bounds, at the probe's access. */
function vmAgrees(p: Probe): void {
  const prog = probeProgram(p);
  const o = runUnverified({ spec: prog.spec, program: 'probe', packet: prog.packet, meta: prog.meta });
  if (prog.inBounds) {
    assert.ok(o.kind === 'returned', `in bounds, yet ${describeOutcome(o)}\n${show(p, prog.text)}`);
  } else {
    assert.ok(o.kind === 'fault', `out of bounds, yet ${describeOutcome(o)}\n${show(p, prog.text)}`);
    assert.equal(o.fault.pc, prog.pc, `fault at the access\n${show(p, prog.text)}`);
    assert.equal(o.fault.access, p.write ? 'write' : 'read');
  }
}

function replay(d: fc.RunDetails<[Probe]>): string | undefined {
  if (!d.failed) return undefined;
  const cause = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
  return `${cause}\nafter ${d.numRuns} probes; replay with TSBPF_PROPERTY_SEED=${d.seed} (path ${d.counterexamplePath})`;
}

test('the VM faults exactly when an access leaves its region, around every boundary', () => {
  const d = fc.check(
    fc.property(anyProbeArb, (p) => vmAgrees(p)),
    { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  const why = replay(d);
  assert.equal(why, undefined, why);
});

test("the kernel's verifier accepts exactly the probes the generator calls in bounds", {
  skip,
}, () => {
  let accepted = 0;
  let refused = 0;
  for (const [k, b] of BOUNDARIES.entries()) {
    const sample = fc.sample(probeArb(b), {
      numRuns: KERNEL_SAMPLE,
      ...(SEED === undefined ? {} : { seed: SEED + k }),
    });
    for (const p of sample) {
      const prog = probeProgram(p);
      let refusal: VerifierError | undefined;
      try {
        loadKernel(prog.spec, { btf: false }).close();
        accepted++;
      } catch (e) {
        if (!(e instanceof VerifierError)) throw e;
        refusal = e;
        refused++;
      }
      const log = refusal?.log.split('\n').slice(-4).join('\n') ?? '';
      if (refusal !== undefined) assert.match(refusal.log, REFUSAL[b], `refused for another reason: ${log}`);
      assert.equal(
        refusal === undefined,
        prog.inBounds,
        `${prog.inBounds ? 'in bounds, yet refused' : 'out of bounds, yet accepted'}: ${show(p, prog.text)}\n${log}`,
      );
    }
  }
  // A sample that is all one way proves nothing about the boundary.
  assert.ok(accepted > 20 && refused > 20, `accepted ${accepted}, refused ${refused}`);
});
