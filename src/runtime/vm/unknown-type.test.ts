// A program whose type its section does not tell (type UNSPEC) is refused at load by both
// backends, naming the section; with the type set on its ProgramSpec it loads and runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, oneProgram } from '../../../test/gen/helper-parity.js';
import { NotSupportedError } from '../../errors.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/index.js';

const avail = bpfAvailability();
const spec = () => {
  const s = oneProgram('UNSPEC', asm(['r0 = 2', 'exit']));
  return { ...s, programs: s.programs.map((p) => ({ ...p, sectionName: 'my_filter' })) };
};

test('the VM refuses an UNSPEC program at load and runs it once the caller sets the type', () => {
  assert.throws(
    () => load(spec()),
    (e) => e instanceof NotSupportedError && /section 'my_filter'/.test(e.message),
  );
  const typed = { ...spec(), programs: spec().programs.map((p) => ({ ...p, type: 'XDP' as const })) };
  using c = load(typed);
  assert.equal(c.program('p').run({ data: new Uint8Array(64) }).retval, 2);
});

test('the kernel backend refuses it the same way', { skip: avail.ok ? false : avail.reason }, () => {
  assert.throws(
    () => loadKernel(spec()),
    (e) => e instanceof NotSupportedError && /section 'my_filter'/.test(e.message),
  );
});
