// The kernel backend reproduces examples/kernel-runs.json: every example object (v3 and v4) is
// loaded with loadKernel and every entry point runs on every crafted packet, in the order
// kernel_runs.py used (programs by name, packets in manifest order, map state carried over),
// giving the recorded retval and data_out — or the recorded refusal (EINVAL).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingHelper } from '../../test/kernel-helpers.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { exampleSpec, kernelRuns, recordedByObject, replayKernelRuns } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const recorded = kernelRuns();
const byObject = recordedByObject();

test('kernel-runs.json covers 31 objects and 43 entry points', () => {
  assert.equal(byObject.length, 31);
  assert.equal(Object.keys(recorded.programs).length, 43);
});

for (const [object, progs] of byObject) {
  for (const cpu of ['v3', 'v4']) {
    const spec = exampleSpec(`${object}.${cpu}.o`);
    test(`${object}.${cpu}.o runs as kernel-runs.json recorded`, {
      skip: skip || missingHelper(spec),
    }, () => {
      using c = loadKernel(spec);
      assert.equal(replayKernelRuns(c, progs), progs.length * 28);
    });
  }
}
