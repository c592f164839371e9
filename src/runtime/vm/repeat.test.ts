// program.run({ repeat }) through Engine.runRepeat (the JIT runs the repeats in one call into
// Wasm): a tail call in some runs ends the engine's batch and is followed before the rest run;
// packet changes accumulate over repeats as in the kernel's test run (one xdp_buff for all of
// them); the result, maps and data_out are the interpreter's. Each case runs on both engines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../../asm/index.js';
import { load } from '../../index.js';
import type { Instruction } from '../../isa/index.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../program/index.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64s = (b: Uint8Array | undefined) => [...new BigUint64Array(b!.slice().buffer)];

function program(name: string, text: string, refs: Record<number, string> = {}): ProgramSpec {
  const instructions: Instruction[] = assemble(text).map((i, k) =>
    refs[k] === undefined ? i : { ...i, src: 1, reference: refs[k] },
  );
  return {
    name,
    sectionName: 'xdp',
    type: 'XDP',
    flags: 0,
    instructions,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
}

const map = (
  name: string,
  type: MapSpec['type'],
  valueSize: number,
  contents?: MapSpec['contents'],
): MapSpec => ({
  name,
  type,
  keySize: 4,
  valueSize,
  maxEntries: 2,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
  ...(contents === undefined ? {} : { contents }),
});

// `a` counts its runs in cnt[0] and tail-calls `b` on odd counts; `b` counts in cnt[1], returns 2.
const bump = (slot: number) => [
  `r1 = ${slot}`,
  '*(u32 *)(r10 - 4) = r1',
  'r1 = 0 ll', // cnt
  'r2 = r10',
  'r2 += -4',
  'call 1',
  'if r0 == 0 goto +3',
  'r1 = 1',
  'lock *(u64 *)(r0 + 0) += r1',
  'r0 = *(u64 *)(r0 + 0)',
];
const tailSpec: CollectionSpec = {
  programs: [
    program(
      'a',
      [
        'r6 = r1',
        ...bump(0),
        'r0 &= 1',
        'if r0 == 0 goto +5',
        'r1 = r6',
        'r2 = 0 ll', // jt
        'r3 = 1',
        'call 12',
        'r0 = 1',
        'exit',
      ].join('\n'),
      { 3: 'cnt', 14: 'jt' },
    ),
    program('b', [...bump(1), 'r0 = 2', 'exit'].join('\n'), { 2: 'cnt' }),
  ],
  maps: [
    map('jt', 'PROG_ARRAY', 4, { kind: 'programs', slots: [{ index: 1, program: 'b' }] }),
    map('cnt', 'ARRAY', 8),
  ],
  variables: [],
  license: 'GPL',
};

for (const engine of ['interp', 'jit'] as const) {
  test(`repeat with tail calls in odd runs: every run and every tail call counted (${engine})`, () => {
    using c = load(tailSpec, { engine });
    assert.equal(c.program('a').engineName, engine);
    const r = c.program('a').run({ data: new Uint8Array(64), repeat: 101 });
    assert.equal(r.retval, 2, 'the 101st run tail-calls b');
    assert.deepEqual(u64s(c.map('cnt').lookup(u32(0))), [101n]);
    assert.deepEqual(u64s(c.map('cnt').lookup(u32(1))), [51n]);
    assert.equal(c.program('a').run({ data: new Uint8Array(64), repeat: 3 }).retval, 1, 'runs 102-104');
    assert.deepEqual(u64s(c.map('cnt').lookup(u32(1))), [52n]);
  });

  test(`repeat on one xdp_buff: bpf_xdp_adjust_head moves it again in every run (${engine})`, () => {
    // Each run pulls 2 bytes off the front until fewer than 20 remain: data_out shows all runs.
    const text = [
      'r6 = r1',
      'r2 = *(u32 *)(r6 + 0)',
      'r3 = *(u32 *)(r6 + 4)',
      'r3 -= r2',
      'if r3 < 20 goto +5',
      'r1 = r6',
      'r2 = 2',
      'call 44',
      'r0 = 3',
      'exit',
      'r0 = 2',
      'exit',
    ].join('\n');
    const spec: CollectionSpec = { programs: [program('p', text)], maps: [], variables: [], license: 'GPL' };
    using c = load(spec, { engine });
    const data = Uint8Array.from({ length: 64 }, (_, k) => k);
    const r = c.program('p').run({ data, repeat: 30 });
    assert.equal(r.retval, 2);
    assert.deepEqual([...r.data], [...data.subarray(46)], '23 runs pulled 2 bytes each');
  });

  test(`repeat of a program exiting with a bpf_spin_lock held fails at the first run (${engine})`, () => {
    const text = [
      'r1 = 0',
      '*(u32 *)(r10 - 4) = r1',
      'r1 = 0 ll', // locks
      'r2 = r10',
      'r2 += -4',
      'call 1',
      'if r0 == 0 goto +4',
      'r1 = r0',
      'call 93',
      'r0 = 2',
      'exit',
      'r0 = 1',
      'exit',
    ].join('\n');
    const spec: CollectionSpec = {
      programs: [program('p', text, { 2: 'locks' })],
      maps: [map('locks', 'ARRAY', 8)],
      variables: [],
      license: 'GPL',
    };
    using c = load(spec, { engine, verify: false });
    assert.equal(c.program('p').batchable, false);
    assert.throws(
      () => c.program('p').run({ data: new Uint8Array(64), repeat: 5 }),
      /exited holding a bpf_spin_lock/,
    );
  });
}
