// tsbpf's verifier on the corpus (test/verifier/*.vcase: the kernel's verdicts, checked against
// the kernel in src/kernel/verifier-corpus.test.ts), on every out-of-bounds case the kernel refuses
// (test/oob/), and on every example object (all accepted by the kernel: src/kernel/kernel-runs).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { oobCases } from '../../test/gen/oob-cases.js';
import { verifierCases } from '../../test/gen/verifier-cases.js';
import { loadCollectionSpec } from '../elf/index.js';
import type { CollectionSpec } from '../program/index.js';
import { programInput, verifyProgram } from './index.js';

const run = (spec: CollectionSpec, name: string, privileged = true) => {
  const p = spec.programs.find((x) => x.name === name)!;
  return verifyProgram(programInput(spec, p, { logLevel: 1, privileged }));
};

test('the corpus: the kernel verdict, and its message for refusals', async (t) => {
  const cases = verifierCases();
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  for (const c of cases) {
    await t.test(`${c.file} ${c.name}`, () => {
      const r = run(c.spec, c.name, c.privileged);
      assert.equal(r.verdict === 'accepted' ? 'accept' : 'reject', c.verdict, `${c.about}\n${r.log}`);
      if (c.kernel !== undefined)
        assert.ok(r.log.includes(c.kernel), `the log lacks '${c.kernel}':\n${r.log}`);
      if (c.processed !== undefined) assert.equal(r.stats.processed, c.processed, `${c.about}\n${r.log}`);
      // The statistics line closes every log, in the kernel's words.
      assert.match(r.log, /processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+/);
    });
  }
});

test('every out-of-bounds case is refused with the kernel message', async (t) => {
  for (const c of oobCases()) {
    await t.test(`${c.file} ${c.name}`, () => {
      const r = run(c.spec, c.program);
      assert.equal(r.verdict, 'rejected', c.about);
      assert.ok(r.log.includes(c.kernel), `the log lacks '${c.kernel}':\n${r.log}`);
      assert.ok(r.explanation !== undefined && r.explanation.path.length > 0);
    });
  }
});

const EXAMPLES = new URL('../../../examples/', import.meta.url);

test('every example object verifies', async (t) => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.o'));
  assert.ok(files.length >= 40, `${files.length} objects`);
  for (const f of files) {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(new URL(f, EXAMPLES))));
    for (const p of spec.programs) {
      await t.test(`${f} ${p.name}`, () => {
        const r = run(spec, p.name);
        assert.equal(r.verdict, 'accepted', r.explanationText);
        assert.ok(r.stats.processed > 0);
      });
    }
  }
});

test('a refusal explains itself: source line, register and where it was set, path, hint', () => {
  const c = oobCases().find((x) => x.name === 'c-pkt-past-end')!;
  const r = run(c.spec, c.program);
  const e = r.explanation!;
  assert.equal(e.property, 'memory-bounds');
  assert.match(e.source ?? '', /oob\.c:\d+: /);
  assert.ok(e.register !== undefined && e.register.setAt !== undefined);
  assert.equal(e.path[0], 0);
  assert.equal(e.path.at(-1), e.pc);
  assert.match(e.hint ?? '', /data_end/);
  assert.match(r.explanationText ?? '', /^insn \d+: invalid access to packet/);
});

test('level 2 logs every instruction walked; level 1 only the refused path', () => {
  const ok = verifierCases().find((x) => x.name === 'pkt-checked-read')!.spec.programs[0]!;
  const two = verifyProgram({ instructions: ok.instructions, type: ok.type, logLevel: 2 });
  const one = verifyProgram({ instructions: ok.instructions, type: ok.type, logLevel: 1 });
  // Accepted: level 1 is the statistics line only (as the kernel's); level 2 every step, both edges.
  assert.equal(one.log.trim().split('\n').length, 1);
  assert.match(two.log, /^4: \(2d\) if r4 > r3 goto pc\+1 +; R2=pkt\(r=14\) R4=pkt\(off=14,r=14\)$/m);
  assert.match(two.log, /^from 4 to 6: /m);
  const bad = verifierCases().find((x) => x.name === 'pkt-wrong-edge')!.spec.programs[0]!;
  const refused = verifyProgram({ instructions: bad.instructions, type: bad.type, logLevel: 1 });
  assert.match(refused.log, /^0: R1=ctx\(\) R10=fp0$/m);
  // The fall-through knows r4 is past data_end (BEYOND_PKT_END, printed as the kernel does).
  assert.match(refused.log, /^5: \(bd\) if r4 <= r3 goto pc\+1 +; R4=pkt\(off=14,r=0xfffffffffffffffe\)$/m);
  assert.match(refused.log, /^invalid access to packet, off=0 size=1, R2\(id=0,off=0,r=0\)$/m);
});
