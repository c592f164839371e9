// The VM reproduces examples/kernel-runs.json: every example object (v3 and v4) is loaded with
// `load` (interpreter engine) and every entry point runs on every crafted packet in the order
// kernel_runs.py used (programs by name, packets in manifest order, map state carried over),
// giving the kernel's retval and data_out, or its refusal (EINVAL). Objects that call helpers
// tsbpf does not implement yet must be refused at load with NotSupportedError naming the helper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, NotSupportedError } from '../../errors.js';
import { load } from '../../index.js';
import { exampleSpec, hex, kernelRuns, packets, type RecordedRun } from '../../kernel/test-fixtures.js';
import { Errno } from '../../spec/index.js';

const recorded = kernelRuns();
const byObject = new Map<string, [string, RecordedRun[]][]>();
for (const [prog, entry] of Object.entries(recorded.programs)) {
  const list = byObject.get(entry.object) ?? [];
  list.push([prog, entry.runs]);
  byObject.set(entry.object, list);
}

/** Objects whose programs call helpers the VM lacks, with one of them. */
const MISSING: Record<string, string> = {};

const input = new Map(packets().map((p) => [p.name, p.bytes]));
let identical = 0;
let total = 0;

for (const [object, progs] of [...byObject].sort(([a], [b]) => (a < b ? -1 : 1))) {
  for (const cpu of ['v3', 'v4']) {
    const file = `${object}.${cpu}.o`;
    if (MISSING[object] !== undefined) {
      test(`${file} is refused at load: it calls helpers tsbpf lacks (e.g. ${MISSING[object]})`, () => {
        assert.throws(
          () => load(exampleSpec(file)),
          (e: unknown) => e instanceof NotSupportedError && /helper bpf_\w+ \(#\d+\)/.test(e.message),
        );
      });
      continue;
    }
    test(`${file} runs on the VM as kernel-runs.json recorded`, () => {
      using c = load(exampleSpec(file));
      const order = progs.map(([p]) => p).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual([...c.programs.keys()].sort(), order);
      for (const name of order) {
        const runs = progs.find(([p]) => p === name)![1];
        for (const r of runs) {
          const data = input.get(r.packet)!;
          const what = `${name} on ${r.packet}`;
          total++;
          if (r.error !== undefined) {
            assert.throws(
              () => c.program(name).run({ data }),
              (e: unknown) => e instanceof KernelError && e.errno === Errno.EINVAL,
              what,
            );
          } else {
            const got = c.program(name).run({ data });
            assert.equal(got.retval, r.retval, `${what}: retval`);
            const out = hex(got.data) === hex(data) ? 'unchanged' : hex(got.data);
            assert.equal(out, r.out, `${what}: data_out`);
          }
          identical++;
        }
      }
    });
  }
}

test('pairs compared', () => {
  // Printed for the report: program x packet pairs identical to the kernel, over the implemented objects.
  console.log(`VM vs kernel-runs.json: ${identical} of ${total} program x packet runs identical`);
  assert.equal(identical, total);
});
