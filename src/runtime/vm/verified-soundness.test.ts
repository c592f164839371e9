// The verifier's soundness, tested (issue 7): every composed program (test/gen/verifier-mixed.ts)
// tsbpf's verifier accepts runs on the interpreter and the JIT over random packets and map
// contents without a runtime fault, and the JIT gives the interpreter's return value, packet and
// context after every run and its maps after the last (the engines' differential over generated
// programs and packets); so does every unprivileged socket filter (test/gen/verifier-unprivileged.ts)
// the unprivileged verifier accepts. TSBPF_SOUNDNESS_PROGRAMS sets the number of seeds (default
// 40, 6 inputs each); scripts/verifier-soundness.mjs runs bigger batches.
import assert from 'node:assert/strict';
import process from 'node:process';
import { test } from 'node:test';
import { soundness } from '../../../test/gen/verified-soundness.js';
import { generateUnprivileged } from '../../../test/gen/verifier-unprivileged.js';

const PROGRAMS = Number(process.env.TSBPF_SOUNDNESS_PROGRAMS ?? 40);

test('accepted composed programs never fault at run time, and the engines agree', (t) => {
  const r = soundness(1, PROGRAMS, 6);
  t.diagnostic(`${r.accepted} of ${r.programs} accepted, ${r.runs} runs`);
  t.diagnostic(`${r.compared.get('jit') ?? 0} programs compared on the JIT (retval, packet, context, maps)`);
  assert.ok(r.accepted > PROGRAMS / 4, `too few accepted programs to say anything: ${r.accepted}`);
  assert.deepEqual(
    r.failures.map((f) => `seed ${f.seed} on ${f.engine}, input ${f.run}: ${f.error}\n${f.text}`),
    [],
  );
  assert.deepEqual(
    r.engineDisagreements.map((d) => `seed ${d.seed} on ${d.backend}: ${d.first}`),
    [],
  );
  // Programs the interpreter cannot run (a socket lookup: NotSupportedError) are not compared.
  const apart = [...r.apart].filter(([why]) => why.startsWith('jit: ')).reduce((n, [, k]) => n + k, 0);
  assert.equal((r.compared.get('jit') ?? 0) + apart, r.accepted);
  assert.ok((r.compared.get('jit') ?? 0) > r.accepted / 2, 'too few programs compared on the JIT');
});

test('the harness sees faults: refused programs run unverified do fault', () => {
  const r = soundness(1, PROGRAMS, 6, true);
  assert.ok(
    r.failures.some((f) => f.error.startsWith('MemoryFault')),
    `no refused program faulted in ${r.runs} runs`,
  );
});

test('accepted unprivileged socket filters never fault at run time, and the engines agree', (t) => {
  const r = soundness(1, PROGRAMS * 5, 6, false, undefined, {
    generate: generateUnprivileged,
    privileged: false,
  });
  t.diagnostic(`${r.accepted} of ${r.programs} accepted, ${r.runs} runs`);
  assert.ok(r.accepted > PROGRAMS / 4, `too few accepted programs to say anything: ${r.accepted}`);
  assert.deepEqual(
    r.failures.map((f) => `seed ${f.seed} on ${f.engine}, input ${f.run}: ${f.error}\n${f.text}`),
    [],
  );
  assert.deepEqual(
    r.engineDisagreements.map((d) => `seed ${d.seed} on ${d.backend}: ${d.first}`),
    [],
  );
});
