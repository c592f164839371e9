// Irreducible control flow (a loop entered other than at its header) runs on the JIT through
// the dispatcher loop (dispatch.ts), with the interpreter's results, steps and budget errors;
// and, where bpf() is allowed, with the kernel's return value for a program its verifier takes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCfg } from '../cfg/index.js';
import { assemble, type CollectionSpec, load } from '../index.js';
import { Interpreter } from '../interp/index.js';
import { bpfAvailability, loadKernel } from '../kernel/index.js';
import { JitEngine } from './index.js';
import { irreducibleEdge } from './structure.js';

/** Entry jumps into the middle of the loop A -> B -> A (both A and B are entries). */
const TWO_ENTRIES = `
  r0 = 0
  if r1 > 5 goto +1
  r0 += 1
  r0 += 2
  if r0 < 20 goto -3
  exit`;

/** Three blocks in a cycle entered at any of them, with a nested reducible loop inside. */
const THREE_ENTRIES = `
  r0 = r2
  if r1 == 1 goto +6
  if r1 == 2 goto +9
  r0 += 1
  r3 = 3
  r0 += r3
  r3 -= 1
  if r3 != 0 goto -3
  r0 *= 3
  r0 &= 0xffff
  r0 ^= 5
  if r0 > 1000 goto +1
  goto -10
  r0 += 7
  if r0 < 5000 goto -12
  exit`;

/** Never ends: both engines must stop at the same budget. */
const FOREVER = `
  r0 = 0
  if r1 > 5 goto +1
  r0 += 1
  r0 += 2
  goto -3`;

const irreducible = (src: string) => {
  const cfg = buildCfg(assemble(src));
  return cfg.subprograms.some((s) => irreducibleEdge(cfg, s) !== undefined);
};

test('the programs are irreducible, and the JIT compiles them', () => {
  for (const src of [TWO_ENTRIES, THREE_ENTRIES, FOREVER]) {
    assert.ok(irreducible(src));
    assert.doesNotThrow(() => new JitEngine(assemble(src)));
  }
});

test('irreducible loops: the same r0 and steps on both engines', () => {
  for (const src of [TWO_ENTRIES, THREE_ENTRIES]) {
    const program = assemble(src);
    const jit = new JitEngine(program);
    const interp = new Interpreter(program);
    for (const r1 of [0n, 1n, 2n, 3n, 6n, 100n])
      for (const r2 of [0n, 7n, 999n])
        assert.deepEqual(jit.run([r1, r2]), interp.run([r1, r2]), `r1 ${r1} r2 ${r2}`);
  }
});

test('an endless irreducible loop ends with the same budget error on both engines', () => {
  const program = assemble(FOREVER);
  for (const r1 of [0n, 9n]) {
    const outcome = (e: JitEngine | Interpreter) => {
      try {
        return e.run([r1]);
      } catch (x) {
        return `${(x as Error).constructor.name}: ${(x as Error).message}`;
      }
    };
    const j = outcome(new JitEngine(program, { budget: 1000 }));
    assert.match(String(j), /BudgetExceeded/);
    assert.equal(j, outcome(new Interpreter(program, { budget: 1000 })));
  }
});

test('an irreducible XDP program: the kernel, the interpreter and the JIT return the same', (t) => {
  // The packet's length picks the entry into the loop (more than 60 bytes: its second block).
  const instructions = assemble(`
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r3 -= r2
    r0 = 0
    if r3 > 60 goto +1
    r0 += 1
    r0 += 2
    if r0 < 20 goto -3
    exit`);
  const spec: CollectionSpec = {
    license: 'GPL',
    variables: [],
    maps: [],
    programs: [
      {
        name: 'irr',
        sectionName: 'xdp',
        type: 'XDP',
        flags: 0,
        instructions,
        license: 'GPL',
        funcInfo: [],
        lineInfo: [],
      },
    ],
  };
  using jit = load(spec, { engine: 'jit', verify: false });
  using interp = load(spec, { engine: 'interp', verify: false });
  assert.equal(jit.program('irr').engineName, 'jit');
  const avail = bpfAvailability();
  using kernel = avail.ok ? loadKernel(spec) : undefined;
  for (const size of [40, 100]) {
    const data = new Uint8Array(size);
    const r = jit.program('irr').run({ data }).retval;
    assert.equal(r, interp.program('irr').run({ data }).retval);
    if (kernel !== undefined) assert.equal(r, kernel.program('irr').run({ data }).retval, `${size} bytes`);
  }
  if (!avail.ok) t.diagnostic(`kernel comparison skipped: ${avail.reason}`);
});
