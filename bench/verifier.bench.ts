// Benchmark: tsbpf's verifier against the kernel's on the largest programs (bench/lb-program.ts
// and the largest examples), in one run.
// The kernel's time is the `verification time N usec` its log reports (BPF_LOG_STATS); tsbpf's
// is the CPU time of verifyProgram (best of ROUNDS, after a warm-up; CPU time because the cores
// are shared and wall time counts other processes), and in the warm column the best of WARM_ROUNDS
// more rounds (by then V8 has optimised the verifier's code for the program's paths; the first
// rounds of a small program were seen 10x slower). Instructions processed by each are printed
// beside: pruning differs, so the work differs too.
// Run: npm run build && node dist/bench/verifier.bench.js (root on Linux for the kernel column).

import { readdirSync, readFileSync } from 'node:fs';
import { type CollectionSpec, load, loadCollectionSpec, programInput, verifyProgram } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';
import { lbSpec } from './lb-program.js';

const ROUNDS = 5;
/** Further rounds for the warm column (best of them). */
const WARM_ROUNDS = 40;
const EXAMPLES = new URL('../../examples/', import.meta.url);
/** The programs with the most instructions. */
const TOP = 8;

interface Row {
  readonly name: string;
  readonly insns: number;
  readonly spec: CollectionSpec;
  readonly program: string;
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const f of readdirSync(EXAMPLES).filter((x) => x.endsWith('.v3.o'))) {
    const raw = loadCollectionSpec(new Uint8Array(readFileSync(new URL(f, EXAMPLES))));
    using c = load(raw, { verify: false }); // CO-RE relocated, as the kernel sees the programs
    const spec = c.spec;
    for (const p of spec.programs)
      out.push({ name: `${f} ${p.name}`, insns: p.instructions.length, spec: raw, program: p.name });
  }
  out.sort((a, b) => b.insns - a.insns).splice(TOP);
  // The largest program (the load balancer of bench/huge-map-load; a 65,536-entry array here,
  // the verifier's work does not depend on it)
  const lb = lbSpec(65_536);
  out.unshift({
    name: 'lb-program',
    insns: lb.programs[0]!.instructions.length,
    spec: lb,
    program: lb.programs[0]!.name,
  });
  return out;
}

function tsbpfTime(r: Row): { us: number; warmUs: number; processed: number } {
  using c = load(r.spec, { verify: false });
  const p = c.spec.programs.find((x) => x.name === r.program)!;
  const input = programInput(c.spec, p, { logLevel: 0 });
  verifyProgram(input); // warm-up
  let best = Number.POSITIVE_INFINITY;
  let processed = 0;
  const timed = () => {
    const t0 = process.cpuUsage();
    const res = verifyProgram(input);
    const used = process.cpuUsage(t0);
    processed = res.stats.processed;
    return used.user + used.system;
  };
  for (let k = 0; k < ROUNDS; k++) best = Math.min(best, timed());
  // Once V8 has optimised the verifier's code for this program's paths (a process that verifies
  // many programs, or one program often): the first rounds above still run partly unoptimised.
  let warm = Number.POSITIVE_INFINITY;
  for (let k = 0; k < WARM_ROUNDS; k++) warm = Math.min(warm, timed());
  return { us: best, warmUs: warm, processed };
}

function kernelTime(r: Row): { us: number; processed: number } | undefined {
  if (!bpfAvailability().ok) return undefined;
  let best = Number.POSITIVE_INFINITY;
  let processed = 0;
  for (let k = 0; k < ROUNDS; k++) {
    const spec = { ...r.spec, programs: r.spec.programs.filter((p) => p.name === r.program) };
    using c = loadKernel(spec, { logLevel: 1 | 4 });
    const log = c.program(r.program).log ?? '';
    const t = /verification time (\d+) usec/.exec(log);
    const n = /processed (\d+) insns/.exec(log);
    if (t === null || n === null) return undefined;
    best = Math.min(best, Number(t[1]));
    processed = Number(n[1]);
  }
  return { us: best, processed };
}

console.log(
  '| program | insns | tsbpf us (processed) | tsbpf us, warm | kernel us (processed) | tsbpf / kernel | warm / kernel |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows()) {
  const t = tsbpfTime(r);
  const k = kernelTime(r);
  const ratio = (us: number) => (k === undefined ? '-' : `${(us / k.us).toFixed(1)}x`);
  const kernel = k === undefined ? '-' : `${k.us} (${k.processed})`;
  console.log(
    `| ${r.name} | ${r.insns} | ${t.us.toFixed(0)} (${t.processed}) | ${t.warmUs.toFixed(0)} | ${kernel} | ${ratio(t.us)} | ${ratio(t.warmUs)} |`,
  );
}
