// repeat of BPF_PROG_TEST_RUN is a u32 on both backends: NaN, fractions, negatives and counts
// over 2^32 - 1 are refused with the same clear error by the VM and the kernel backend (the
// kernel's field would truncate 2^32 to 0 and run once); 0 runs once, as the kernel does.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { loadCollectionSpec, TsbpfError } from '../index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './index.js';

const avail = bpfAvailability();
const spec = loadCollectionSpec(new Uint8Array(readFileSync('examples/xdp_parse.v3.o')));
const packet = new Uint8Array(64);
const BAD = [Number.NaN, -1, 1.5, 2 ** 32, Number.POSITIVE_INFINITY];

function check(run: (repeat: number) => number): void {
  for (const repeat of BAD) {
    assert.throws(
      () => run(repeat),
      (e: unknown) =>
        e instanceof TsbpfError &&
        e.code === 'INVALID_ARGUMENT' &&
        /repeat must be an integer from 0 to 4294967295/.test(e.message),
      `repeat ${repeat}`,
    );
  }
  assert.equal(run(0), run(1), 'repeat 0 runs once');
  assert.equal(run(3), run(1));
}

test('the VM refuses a repeat that is not a u32', () => {
  const coll = load(spec);
  try {
    const prog = [...coll.programs.values()][0]!;
    check((repeat) => prog.run({ data: packet, repeat }).retval);
  } finally {
    coll.close();
  }
});

test('the kernel backend refuses the same repeats', { skip: avail.ok ? false : avail.reason }, () => {
  const coll = loadKernel(spec);
  try {
    const prog = [...coll.programs.values()][0]!;
    check((repeat) => prog.run({ data: packet, repeat }).retval);
  } finally {
    coll.close();
  }
});
