// The verifier corpus (test/verifier/*.vcase) against the kernel, the oracle for its verdicts:
// every case the corpus marks accepted loads, and every refused case is refused with the log
// fragment it names. tsbpf's verifier runs the same cases in src/verifier/corpus.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifierCases } from '../../test/gen/verifier-cases.js';
import { BpfError, VerifierError } from '../errors.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { loadProgram } from './program.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

test('the kernel gives every corpus case its verdict and message', { skip }, async (t) => {
  // Unprivileged cases load as nobody: src/kernel/verifier-unprivileged.test.ts.
  for (const c of verifierCases().filter((x) => x.privileged)) {
    await t.test(`${c.file} ${c.name}`, () => {
      if (c.verdict === 'accept') {
        using k = loadKernel(c.spec, { logLevel: c.processed === undefined ? 0 : 4 });
        if (c.processed !== undefined) {
          const log = k.program(c.spec.programs[0]!.name).log ?? '';
          assert.equal(Number(/processed (\d+) insns/.exec(log)?.[1]), c.processed, log);
        }
        return;
      }
      assert.throws(
        () => {
          try {
            loadKernel(c.spec).close();
          } catch (e) {
            // Some refusals come back as E2BIG without a log (the call stack too deep): ask again with one.
            if (e instanceof BpfError && c.spec.maps.length === 0) {
              const p = c.spec.programs[0]!;
              loadProgram({ type: p.type, insns: p.instructions, logLevel: 1 }).close();
            }
            throw e;
          }
        },
        (e: unknown) => {
          assert.ok(e instanceof VerifierError, String(e));
          const tail = e.log.split('\n').slice(-6).join('\n');
          assert.ok(e.log.includes(c.kernel!), `the log lacks '${c.kernel}':\n${tail}`);
          return true;
        },
        'the kernel accepted it',
      );
    });
  }
});
