// Benchmark (issue 10 item 9): loading a ~6,000-instruction load-balancer-shaped XDP program with
// a 33-million-entry array (test/gen/lb-program.ts), in the VM and through the kernel backend, in
// one run. Wall time, best of ROUNDS after one warm-up load (the cores are shared: compare the
// ratios of one run); the VM's resident-memory growth is taken over the first load. The VM rows
// split the load into its stages: maps and engine only (verify off), then the JIT, then the
// default load (verifier and JIT).
// Run: npm run build && node dist/bench/huge-map-load.bench.js (root on Linux for the kernel row).

import { type LoadOptions, load } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';
import { LB_ENTRIES, lbSpec } from './lb-program.js';

const ROUNDS = 3;
const spec = lbSpec();
const insns = spec.programs[0]!.instructions.length;

function best(f: () => void): number {
  f(); // warm-up
  let out = Number.POSITIVE_INFINITY;
  for (let k = 0; k < ROUNDS; k++) {
    const t0 = performance.now();
    f();
    out = Math.min(out, performance.now() - t0);
  }
  return out;
}

const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
load(spec, { verify: false, engine: 'interp' }).close();
const firstMs = performance.now() - t0;
const rssMb = (process.memoryUsage().rss - rss0) / 2 ** 20;

const rows: [string, LoadOptions][] = [
  ['VM: maps + interpreter (verify: false)', { verify: false, engine: 'interp' }],
  ['VM: maps + JIT (verify: false)', { verify: false, engine: 'jit' }],
  ['VM: default load (verifier + JIT)', {}],
];
console.log(`program: ${insns} instructions, array of ${LB_ENTRIES} entries x 8 bytes`);
console.log(
  `VM first load (maps + interpreter, cold): ${firstMs.toFixed(0)} ms, resident memory +${rssMb.toFixed(0)} MB`,
);
console.log('| load | ms (best of 3) | / kernel |');
console.log('|---|---|---|');
const kernelMs = bpfAvailability().ok ? best(() => loadKernel(spec).close()) : undefined;
for (const [name, options] of rows) {
  const ms = best(() => load(spec, options).close());
  const ratio = kernelMs === undefined ? '-' : `${(ms / kernelMs).toFixed(2)}x`;
  console.log(`| ${name} | ${ms.toFixed(0)} | ${ratio} |`);
}
console.log(
  `| kernel backend (loadKernel) | ${kernelMs === undefined ? '- (bpf refused)' : kernelMs.toFixed(0)} | 1 |`,
);
