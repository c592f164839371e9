// The VM reproduces examples/kernel-runs.json: every example object (v3 and v4) is loaded with
// `load` (interpreter engine) and every entry point runs on every crafted packet in the order
// kernel_runs.py used (programs by name, packets in manifest order, map state carried over),
// giving the kernel's retval and data_out, or its refusal (EINVAL).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { exampleSpec, recordedByObject, replayKernelRuns } from '../../kernel/test-fixtures.js';

let identical = 0;
let total = 0;

for (const [object, progs] of recordedByObject()) {
  for (const cpu of ['v3', 'v4']) {
    test(`${object}.${cpu}.o runs on the VM as kernel-runs.json recorded`, () => {
      using c = load(exampleSpec(`${object}.${cpu}.o`));
      total += progs.length * 28;
      identical += replayKernelRuns(c, progs);
    });
  }
}

test('pairs compared', (t) => {
  t.diagnostic(`VM vs kernel-runs.json: ${identical} of ${total} program x packet runs identical`);
  assert.equal(identical, total);
  assert.equal(total, 43 * 28 * 2);
});
