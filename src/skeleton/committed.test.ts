// The committed skeletons are what the generator makes now: each examples/skeletons/NAME.bpf.ts
// is regenerated in memory from examples/NAME.v3.o (and test/skeleton/layout.bpf.ts from its
// object, and bench/'s copy of it) and compared. On a difference, `bash scripts/fixtures/skeletons.sh` regenerates them.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateSkeleton } from '../index.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, root)));

/** [object, skeleton, name] as scripts/fixtures/skeletons.sh makes them. */
const committed: [string, string, string][] = [
  ...readdirSync(new URL('examples/', root))
    .filter((f) => f.endsWith('.v3.o'))
    .sort()
    .map((f): [string, string, string] => {
      const name = f.slice(0, -'.v3.o'.length);
      return [`examples/${f}`, `examples/skeletons/${name}.bpf.ts`, name];
    }),
  ['test/skeleton/layout.v3.o', 'test/skeleton/layout.bpf.ts', 'layout'],
  ['test/skeleton/layout.v3.o', 'bench/layout.bpf.ts', 'layout'],
];

test('every example object has a committed skeleton, and no skeleton lacks its object', () => {
  const skeletons = readdirSync(new URL('examples/skeletons/', root)).sort();
  const expected = committed
    .filter(([, s]) => s.startsWith('examples/'))
    .map(([, s]) => s.slice('examples/skeletons/'.length))
    .sort();
  assert.deepEqual(skeletons, expected);
});

test('the committed skeletons are up to date (regenerate: bash scripts/fixtures/skeletons.sh)', () => {
  const stale: string[] = [];
  for (const [object, skeleton, name] of committed) {
    const now = generateSkeleton(read(object), { name, source: object });
    if (now !== new TextDecoder().decode(read(skeleton))) stale.push(skeleton);
  }
  assert.deepEqual(stale, []);
});
