// Benchmark (issue 10 item 5): reading a whole 65,536-entry per-CPU array from user space, on the
// VM and through the kernel backend, in one run: dump() (lookup batches) against the element walk
// (get_next_key + lookup per entry). Wall time, best of ROUNDS after a warm-up.
// Run: npm run build && node dist/bench/map-batch.bench.js (root on Linux for the kernel rows).

import { type CollectionSpec, type LoadedMap, load } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';

const ROUNDS = 5;
const ENTRIES = 65_536;
const spec: CollectionSpec = {
  license: 'GPL',
  variables: [],
  programs: [],
  maps: [
    {
      name: 'stats',
      type: 'PERCPU_ARRAY',
      keySize: 4,
      valueSize: 16,
      maxEntries: ENTRIES,
      flags: 0,
      pinning: 'none',
      sectionName: '.maps',
    },
  ],
};

function best(f: () => number): { ms: number; n: number } {
  let n = f();
  let ms = Number.POSITIVE_INFINITY;
  for (let k = 0; k < ROUNDS; k++) {
    const t0 = performance.now();
    n = f();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, n };
}

function walk(m: LoadedMap): number {
  let n = 0;
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) if (m.lookup(k) !== undefined) n++;
  return n;
}

function fill(m: LoadedMap): void {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < ENTRIES; i += 7) {
    keys.push(new Uint8Array(new Uint32Array([i]).buffer));
    values.push(new Uint8Array(m.valueSize).fill(i & 0xff));
  }
  m.updateBatch(keys, values);
}

console.log(`per-CPU array of ${ENTRIES} entries x 16 bytes, every 7th written`);
console.log('| backend | dump() ms | element walk ms | walk / dump |');
console.log('|---|---|---|---|');
const vm = load(spec);
const backends: [string, LoadedMap, () => void][] = [['VM', vm.map('stats'), () => vm.close()]];
if (bpfAvailability().ok) {
  const k = loadKernel(spec);
  backends.push([`kernel (${k.map('stats').valueSize / 16} CPUs)`, k.map('stats'), () => k.close()]);
}
for (const [name, m, close] of backends) {
  fill(m);
  const d = best(() => m.dump().count);
  const w = best(() => walk(m));
  if (d.n !== ENTRIES || w.n !== ENTRIES) throw new Error(`${name}: read ${d.n} / ${w.n} entries`);
  console.log(`| ${name} | ${d.ms.toFixed(1)} | ${w.ms.toFixed(1)} | ${(w.ms / d.ms).toFixed(1)}x |`);
  close();
}
