// Cost of typed skeletons: generating one per example object, and what a typed map handle adds
// over the raw one (encode the key, decode the value) for test/skeleton/layout.c's 96-byte
// struct on the VM (bench/layout.bpf.ts is its skeleton, made by scripts/fixtures/skeletons.sh). Prints best-of-5 times; compare the ratios of one run.
// Run: npm run build && node dist/bench/skeleton.bench.js

import { readdirSync, readFileSync } from 'node:fs';
import { generateSkeleton, load } from '../src/index.js';
import * as layout from './layout.bpf.js';

const root = new URL('../../', import.meta.url);
const objects = readdirSync(new URL('examples/', root))
  .filter((f) => f.endsWith('.v3.o'))
  .map((f) => new Uint8Array(readFileSync(new URL(`examples/${f}`, root))));

function best(rounds: number, fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const gen = best(5, () => {
  for (const o of objects) generateSkeleton(o, { name: 'x' });
});
console.log(
  `generate ${objects.length} skeletons: ${gen.toFixed(1)} ms (${(gen / objects.length).toFixed(2)} ms each)`,
);

using obj = layout.open().load(load);
const value = obj.maps.values.lookup(0)!;
const key = new Uint8Array(4);
const N = 100_000;
const raw = best(5, () => {
  for (let i = 0; i < N; i++) obj.maps.values.raw.lookup(key);
});
const typed = best(5, () => {
  for (let i = 0; i < N; i++) obj.maps.values.lookup(0);
});
const enc = best(5, () => {
  for (let i = 0; i < N; i++) layout.Layout.encode(value);
});
const dec = best(5, () => {
  const bytes = layout.Layout.encode(value);
  for (let i = 0; i < N; i++) layout.Layout.decode(bytes);
});
const ns = (ms: number): string => `${((ms * 1e6) / N).toFixed(0)} ns`;
console.log(
  `struct layout (96 bytes, 18 fields): raw lookup ${ns(raw)}, typed lookup ${ns(typed)} (${(typed / raw).toFixed(1)}x)`,
);
console.log(`  encode ${ns(enc)}, decode ${ns(dec)}`);
