// The engines' differential against the kernel: every composed program (test/gen/verifier-mixed.ts)
// tsbpf accepts runs the same random packets, contexts and map contents on the interpreter, the
// JIT and the kernel (BPF_PROG_TEST_RUN); the JIT and the kernel must give the interpreter's return
// value, packet and context after every run and its maps after the last (ring buffers aside). The
// thread is pinned to one CPU and the VM told which, so per-CPU values compare exactly.
// On the kernel only clean programs (every choice one it should accept) are compared: a wrong
// choice may read uninitialised stack, whose bytes differ by backend. The kernel's own load
// failures (EFAULT with bpf_loop, docs/kernel-notes.md) are counted apart.
// The same for the unprivileged generator's socket filters and cgroup skb programs
// (test/gen/verifier-unprivileged.ts), verified unprivileged: none reads uninitialised stack.
// TSBPF_SOUNDNESS_PROGRAMS sets the number of seeds (default 40; 4x that for the unprivileged ones,
// of which fewer are accepted).
import assert from 'node:assert/strict';
import process from 'node:process';
import { type TestContext, test } from 'node:test';
import {
  type Backend,
  MIXED,
  type SoundnessSource,
  soundness,
  vmBackend,
} from '../../test/gen/verified-soundness.js';
import { kernelFailure } from '../../test/gen/verifier-diff-run.js';
import { generateUnprivileged } from '../../test/gen/verifier-unprivileged.js';
import { currentCpu, pinForFile } from '../../test/parity/affinity.js';
import { VerifierError } from '../errors.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { possibleCpuCount } from './map.js';

const PROGRAMS = Number(process.env.TSBPF_SOUNDNESS_PROGRAMS ?? 40);
const avail = bpfAvailability();
const cpus = avail.ok ? possibleCpuCount() : 1;
const pin = pinForFile(cpus, avail.ok);

/** Runs `count` seeds of `source` on both engines and the kernel; asserts they all agree. */
function differential(t: TestContext, source: SoundnessSource, count: number): void {
  assert.equal(currentCpu(), pin.cpu, `thread pinned to CPU ${pin.cpu}`);
  const kernel: Backend = {
    name: 'kernel',
    open: (spec) => loadKernel(spec),
    errorsCompared: true,
    knownFailure: (spec, e) =>
      e instanceof VerifierError && kernelFailure(spec, e)
        ? 'its own load failure (EFAULT with bpf_loop)'
        : undefined,
    // A program with a wrong choice may read stack it never wrote (a lookup key, a bpf_loop
    // context), which privileged loading allows: the kernel's bytes there are its own.
    skips: (g) => (g.clean || !source.privileged ? undefined : 'a wrong choice may read uninitialised stack'),
  };
  const r = soundness(
    1,
    count,
    6,
    false,
    [vmBackend('interp', { cpus, cpu: pin.cpu }), vmBackend('jit', { cpus, cpu: pin.cpu }), kernel],
    source,
  );
  t.diagnostic(`${r.accepted} of ${r.programs} accepted, ${r.runs} runs`);
  for (const [backend, n] of r.compared) t.diagnostic(`${n} programs compared on ${backend}`);
  let apart = 0;
  for (const [why, n] of r.apart) {
    t.diagnostic(`${n} not compared on ${why}`);
    if (why.startsWith('kernel:')) apart += n;
  }
  assert.deepEqual(
    r.failures.map((f) => `seed ${f.seed} on ${f.engine}, input ${f.run}: ${f.error}\n${f.text}`),
    [],
  );
  assert.deepEqual(
    r.engineDisagreements.map((d) => `seed ${d.seed} on ${d.backend}: ${d.first}`),
    [],
  );
  assert.equal((r.compared.get('kernel') ?? 0) + apart, r.accepted);
  assert.ok((r.compared.get('kernel') ?? 0) > r.accepted / 4, 'too few programs compared on the kernel');
}

const skip = avail.ok ? false : avail.reason;

test("composed programs: the JIT and the kernel give the interpreter's results", { skip }, (t) =>
  differential(t, MIXED, PROGRAMS),
);

test(
  "unprivileged socket filters and cgroup skb programs: the JIT and the kernel give the interpreter's results",
  {
    skip,
  },
  (t) => differential(t, { generate: generateUnprivileged, privileged: false }, 4 * PROGRAMS),
);
