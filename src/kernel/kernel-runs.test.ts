// The kernel backend reproduces examples/kernel-runs.json: every example object (v3 and v4) is
// loaded with loadCollection and every entry point runs on every crafted packet, in the order
// kernel_runs.py used (programs by name, packets in manifest order, map state carried over),
// giving the recorded retval and data_out — or the recorded refusal (EINVAL).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError } from '../errors.js';
import { Errno } from '../spec/index.js';
import { bpfAvailability } from './available.js';
import { loadCollection } from './collection.js';
import { exampleSpec, hex, kernelRuns, packets, type RecordedRun } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const recorded = kernelRuns();
const byObject = new Map<string, [string, RecordedRun[]][]>();
for (const [prog, entry] of Object.entries(recorded.programs)) {
  const list = byObject.get(entry.object) ?? [];
  list.push([prog, entry.runs]);
  byObject.set(entry.object, list);
}

test('kernel-runs.json covers 30 objects and 42 entry points', () => {
  assert.equal(byObject.size, 30);
  assert.equal(Object.keys(recorded.programs).length, 42);
});

for (const [object, progs] of [...byObject].sort(([a], [b]) => (a < b ? -1 : 1))) {
  for (const cpu of ['v3', 'v4']) {
    test(`${object}.${cpu}.o runs as kernel-runs.json recorded`, { skip }, () => {
      const input = new Map(packets().map((p) => [p.name, p.bytes]));
      using c = loadCollection(exampleSpec(`${object}.${cpu}.o`));
      // kernel_runs.py runs the pinned programs in directory order: sorted by name.
      const order = progs.map(([p]) => p).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual([...c.programs.keys()].sort(), order);
      let checked = 0;
      for (const name of order) {
        const runs = progs.find(([p]) => p === name)![1];
        for (const r of runs) {
          const data = input.get(r.packet)!;
          const what = `${name} on ${r.packet}`;
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
          checked++;
        }
      }
      assert.equal(checked, progs.length * 28);
    });
  }
}
