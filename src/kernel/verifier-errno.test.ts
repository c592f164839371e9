// Item 7 of issue 10: a refused program carries the errno BPF_PROG_LOAD fails with, on both
// backends. Every refused case of the verifier corpus goes through tsbpf's verifier (load) and
// the kernel's (loadKernel): the same errno, EACCES / EINVAL / E2BIG as the kernel chose it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { verifierCases } from '../../test/gen/verifier-cases.js';
import { BpfError, Errno, VerifierError } from '../errors.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';

const avail = bpfAvailability();

function errnoOf(f: () => void): number | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof VerifierError || e instanceof BpfError) return e.errno;
    throw e;
  }
}

test('refused corpus cases: VerifierError.errno is the kernel one, on both backends', (t) => {
  const diffs: string[] = [];
  let refused = 0;
  for (const c of verifierCases()) {
    // Unprivileged cases load as nobody (src/kernel/verifier-unprivileged.test.ts).
    if (c.verdict === 'accept' || !c.privileged) continue;
    refused++;
    const ours = errnoOf(() => load(c.spec).close());
    assert.ok(
      ours === Errno.EACCES || ours === Errno.EINVAL || ours === Errno.E2BIG,
      `${c.file} ${c.name}: ${ours}`,
    );
    if (!avail.ok) continue;
    const theirs = errnoOf(() => loadKernel(c.spec).close());
    if (ours !== theirs) diffs.push(`${c.file} ${c.name}: vm ${ours}, kernel ${theirs}`);
  }
  assert.ok(refused > 40);
  if (!avail.ok) return t.skip(`kernel side: ${avail.reason}`);
  assert.deepEqual(diffs, []);
});

test('VerifierError names its errno', () => {
  const e = new VerifierError('x', '0: (95) exit\nR0 !read_ok\n');
  assert.equal(e.errno, Errno.EACCES);
  assert.equal(e.errnoName, 'EACCES');
  assert.equal(new VerifierError('x', 'back-edge from insn 1 to 0\n').errno, Errno.EINVAL);
  assert.equal(new VerifierError('x', 'log', 0, Errno.E2BIG).errnoName, 'E2BIG');
});
