// Unprivileged loading against the kernel, the oracle (the kernel's side as user nobody:
// test/gen/unprivileged-kernel.ts, one worker for the whole file, so that the sysctl it turns on
// is turned off once): the corpus cases marked `mode: unprivileged`, the helpers offered to
// unprivileged socket filters and cgroup skb programs, and generated socket filters
// (test/gen/verifier-unprivileged.ts; scripts/verifier-diff.mjs --unprivileged runs more).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  askUnprivilegedKernel,
  type UnprivilegedReply,
  unprivilegedAvailability,
} from '../../test/gen/unprivileged-kernel.js';
import { verifierCases } from '../../test/gen/verifier-cases.js';
import { diffBatch } from '../../test/gen/verifier-diff-run.js';
import { generateUnprivileged } from '../../test/gen/verifier-unprivileged.js';
import { VerifierError } from '../errors.js';
import { load } from '../index.js';
import type { CollectionSpec } from '../program/index.js';
import { HELPER_PROTOS } from '../uapi/helper-protos.js';

/** The errno of tsbpf's unprivileged load of a refused program. */
function loadErrno(spec: CollectionSpec): number | undefined {
  try {
    load(spec, { privileged: false, engine: 'interp' }).close();
    return undefined;
  } catch (e) {
    if (e instanceof VerifierError) return e.errno;
    throw e;
  }
}

const avail = unprivilegedAvailability();
const skip = avail.ok ? false : avail.reason;
const SEEDS = 400;
const TYPES = ['SOCKET_FILTER', 'CGROUP_SKB'] as const;
const cases = verifierCases().filter((c) => !c.privileged);

let reply: UnprivilegedReply | undefined;
const kernel = (): UnprivilegedReply => {
  reply ??= askUnprivilegedKernel({
    cases: cases.map((c) => `${c.file} ${c.name}`),
    helpers: TYPES,
    seeds: { first: 1, count: SEEDS },
  });
  return reply;
};

test('the kernel gives every unprivileged corpus case its verdict and message', { skip }, async (t) => {
  assert.ok(cases.length >= 10, `${cases.length} unprivileged cases`);
  for (const c of cases) {
    await t.test(`${c.file} ${c.name}`, () => {
      const k = kernel().cases[`${c.file} ${c.name}`]!;
      assert.equal(k.theirs === 'accepted' ? 'accept' : 'reject', c.verdict, k.log);
      if (c.kernel !== undefined)
        assert.ok(k.log.includes(c.kernel), `the log lacks '${c.kernel}':\n${k.log}`);
      if (c.processed !== undefined) assert.equal(k.theirCount, c.processed, k.log);
      // A refusal's errno: tsbpf's load (the VM) fails as BPF_PROG_LOAD does.
      if (c.verdict === 'reject') assert.equal(loadErrno(c.spec), k.theirErrno, k.log);
    });
  }
});

test('unprivileged loads are offered exactly the helpers the kernel offers them', { skip }, () => {
  for (const type of TYPES) {
    const ours = [...HELPER_PROTOS]
      .filter(([, p]) => (p.progTypes === undefined || p.progTypes.includes(type)) && p.privileged !== true)
      .map(([id]) => id);
    assert.deepEqual(ours, kernel().helpers[type], type);
  }
});

test('generated unprivileged socket filters: tsbpf never accepts what the kernel refuses', { skip }, (t) => {
  const b = diffBatch(1, SEEDS, generateUnprivileged, { privileged: false, kernel: kernel().seeds });
  t.diagnostic(b.summary);
  assert.deepEqual(b.looser, [], `tsbpf accepts what the kernel refuses:\n${b.looser.join('\n--\n')}`);
});
