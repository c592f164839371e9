// The access sites' caches (lower-memory.ts): a range a site hit in one run must not let a later
// access through once the region shrank, moved or went away, whether the change came between
// runs (a smaller packet) or inside one (bpf_xdp_adjust_tail, a helper in JavaScript).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../asm/index.js';
import { load, MemoryFault } from '../index.js';
import type { CollectionSpec } from '../program/index.js';

function spec(lines: string[]): CollectionSpec {
  const program = {
    name: 'p',
    sectionName: 'xdp',
    type: 'XDP' as const,
    flags: 0,
    instructions: assemble(lines.join('\n')),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [], variables: [], license: 'GPL' };
}

test('a site that hit byte 60 of a 64-byte packet faults on a 32-byte one', () => {
  using c = load(spec(['r1 = *(u32 *)(r1 + 0)', 'r0 = *(u8 *)(r1 + 60)', 'exit']), {
    engine: 'jit',
    verify: false,
  });
  const p = c.program('p');
  const big = new Uint8Array(64);
  big[60] = 9;
  assert.equal(p.run({ data: big, repeat: 100 }).retval, 9);
  assert.throws(() => p.run({ data: new Uint8Array(32) }), MemoryFault);
  assert.equal(p.run({ data: big }).retval, 9);
});

test('a site that hit a packet byte faults on it after bpf_xdp_adjust_tail cut it off in the same run', () => {
  // Read byte 60 (fills the site's cache), shrink the packet by 16 bytes, read it again at the same site.
  const lines = [
    'r6 = r1',
    'r7 = 0',
    'r1 = *(u32 *)(r6 + 0)',
    'r0 = *(u8 *)(r1 + 60)',
    'if r7 != 0 goto +5',
    'r7 = 1',
    'r1 = r6',
    'r2 = -16',
    'call 65',
    'goto -8',
    'exit',
  ];
  using c = load(spec(lines), { engine: 'jit', verify: false });
  assert.throws(() => c.program('p').run({ data: new Uint8Array(64) }), MemoryFault);
  using i = load(spec(lines), { engine: 'interp', verify: false });
  assert.throws(() => i.program('p').run({ data: new Uint8Array(64) }), MemoryFault);
});
