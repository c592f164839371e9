// The out-of-bounds suite (test/oob/*.oob) against the kernel, the oracle for "rejected": every
// case, assembly or C, is refused by the kernel's verifier with the log fragment the case names.
// The VM side (each case faults when run unverified) is src/runtime/vm/oob.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oobCases } from '../../test/gen/oob-cases.js';
import { VerifierError } from '../errors.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

test('the kernel refuses every out-of-bounds case, for the reason the case names', { skip }, async (t) => {
  const cases = oobCases();
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  for (const c of cases) {
    await t.test(`${c.file} ${c.name}`, () => {
      assert.throws(
        () => loadKernel(c.spec, { btf: c.object !== undefined }).close(),
        (e: unknown) => {
          assert.ok(e instanceof VerifierError, String(e));
          const tail = e.log.split('\n').slice(-6).join('\n');
          assert.ok(e.log.includes(c.kernel), `the log lacks '${c.kernel}':\n${tail}`);
          return true;
        },
        'the kernel accepted it',
      );
    });
  }
});
