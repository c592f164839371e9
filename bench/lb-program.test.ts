// The load-time benchmark's program is real: it verifies, and one run on each backend leaves the
// same values in the 33-million-entry array at every index its hash touched. It runs on both
// engines (bench/ may not use test/engines.js, so the loop is here).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';
import { LB_ENTRIES, lbSpec, lbTouched } from './lb-program.js';

const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);

for (const engine of ['interp', 'jit'] as const)
  test(`lb program: about 6,000 instructions, a 33M-entry array, the kernel values after runs (${engine})`, (t) => {
    const spec = lbSpec();
    assert.ok(spec.programs[0]!.instructions.length > 5900);
    const avail = bpfAvailability();
    if (!avail.ok) return t.skip(avail.reason);
    using vm = load(spec, { engine });
    assert.equal(vm.program('lb').engineName, engine);
    using kern = loadKernel(spec);
    const touched = new Set<number>([0, LB_ENTRIES - 1]);
    for (const seed of [1, 0xdeadbeef, 77]) {
      const data = new Uint8Array(64);
      new DataView(data.buffer).setUint32(26, seed, true);
      new DataView(data.buffer).setUint32(30, seed * 3, true);
      assert.equal(vm.program('lb').run({ data }).retval, kern.program('lb').run({ data }).retval);
      for (const i of lbTouched(seed)) touched.add(i);
    }
    const diffs: string[] = [];
    let nonZero = 0;
    for (const i of touched) {
      const a = Buffer.from(vm.map('backends').lookup(key(i))!);
      const b = Buffer.from(kern.map('backends').lookup(key(i))!);
      if (!a.equals(b)) diffs.push(`index ${i}: vm ${a.toString('hex')} kernel ${b.toString('hex')}`);
      if (a.some((x) => x !== 0)) nonZero++;
    }
    assert.deepEqual(diffs, []);
    assert.ok(nonZero > 1000, `the runs wrote values (${nonZero} non-zero)`);
  });
