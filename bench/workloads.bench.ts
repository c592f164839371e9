// Benchmark of the workload set (bench/workloads/): each workload on the interpreter, on the JIT
// (`load(spec, { engine: 'jit' })`; "n/a" with the reason while the build has no JIT) and on the
// kernel's JIT (BPF_PROG_TEST_RUN with repeat), in one run. Every backend is timed the same way:
// the wall time of one `program.run({ data, repeat })` divided by repeat, best of ROUNDS rounds
// (not the duration the backend reports: the kernel's is whole nanoseconds, 20% at 5 ns; the
// call's own cost is spread over a repeat sized to about 40 ms),
// the backends taking turns inside each round so that load on the shared machine hits all alike.
// Prints ns per packet, the ratios to the kernel and a geometric-mean row; `--json` prints the
// same as JSON. Run: npm run bench, or node dist/bench/workloads.bench.js [--json].

import type { LoadedProgram } from '../src/index.js';
import { BACKENDS, type BackendName, open } from './workloads/engines.js';
import { workloadSpec, workloads } from './workloads/index.js';

const ROUNDS = 5;
/** Wall time one round of one backend aims at; the repeat count is sized to it. */
const ROUND_NS = 40e6;
const MAX_REPEAT = 1_000_000;

/** Warm-up per workload and backend: the interpreter's loop needs ~100k runs to reach its top tier. */
const WARM_UP_MS = 500;

/**
 * A repeat count that makes one round take about ROUND_NS, from a calibration run after the
 * warm-up (before it, the interpreter runs 10-100 times slower: V8 has not optimized it yet).
 */
function repeatFor(program: LoadedProgram, data: Uint8Array): number {
  const until = performance.now() + WARM_UP_MS;
  while (performance.now() < until) program.run({ data, repeat: 1000 });
  const ns = Math.max(program.run({ data, repeat: 1000 }).duration, 0.5);
  return Math.max(100, Math.min(MAX_REPEAT, Math.round(ROUND_NS / ns)));
}

const spec = workloadSpec();
const opened = new Map(BACKENDS.map((b) => [b, open(spec, b)] as const));
const json = process.argv.includes('--json');

type Row = { name: string } & Partial<Record<BackendName, number>>;
const rows: Row[] = [];
try {
  for (const w of workloads()) {
    const runs: { backend: BackendName; program: LoadedProgram; repeat: number }[] = [];
    for (const [backend, o] of opened) {
      if (!o.ok) continue;
      const program = o.collection.programs.get(w.program);
      if (program === undefined) throw new Error(`${w.program} is not in workloads.o`);
      const retval = program.run({ data: w.packet }).retval;
      if (retval !== w.retval)
        throw new Error(`${w.name} on ${backend}: retval ${retval}, expected ${w.retval}`);
      runs.push({ backend, program, repeat: repeatFor(program, w.packet) });
    }
    const row: Row = { name: w.name };
    for (let round = 0; round < ROUNDS; round++) {
      for (const { backend, program, repeat } of runs) {
        const t0 = performance.now();
        program.run({ data: w.packet, repeat });
        const ns = ((performance.now() - t0) * 1e6) / repeat;
        row[backend] = Math.min(row[backend] ?? Number.POSITIVE_INFINITY, ns);
      }
    }
    rows.push(row);
  }
} finally {
  for (const o of opened.values()) if (o.ok) o.collection.close();
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const column = (b: BackendName) => rows.map((r) => r[b]).filter((x): x is number => x !== undefined);
const ratio = (r: Row, b: BackendName) =>
  r[b] === undefined || r.kernel === undefined ? undefined : r[b] / r.kernel;
const mean: Row = { name: 'geometric mean' };
for (const b of BACKENDS)
  if (column(b).length === rows.length && rows.length > 0) mean[b] = geomean(column(b));

if (json) {
  const reasons = Object.fromEntries([...opened].flatMap(([b, o]) => (o.ok ? [] : [[b, o.reason]])));
  // null, not absent, where a backend could not run: the JSON keeps one shape.
  const withRatios = (r: Row) => ({
    name: r.name,
    ...Object.fromEntries(BACKENDS.map((b) => [b, r[b] ?? null])),
    interpRatio: ratio(r, 'interp') ?? null,
    jitRatio: ratio(r, 'jit') ?? null,
  });
  console.log(
    JSON.stringify(
      { rounds: ROUNDS, unavailable: reasons, rows: rows.map(withRatios), geomean: withRatios(mean) },
      null,
      2,
    ),
  );
} else {
  console.log(`workloads: ns of wall time per packet (program.run with repeat, best of ${ROUNDS} rounds)`);
  for (const [b, o] of opened) if (!o.ok) console.log(`  (${b}: n/a, ${o.reason})`);
  const ns = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1)).padStart(9);
  const times = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(2)}x`).padStart(9);
  console.log(
    `  ${'workload'.padEnd(32)} ${'interp'.padStart(9)} ${'jit'.padStart(9)} ${'kernel'.padStart(9)} ${'interp/k'.padStart(9)} ${'jit/k'.padStart(9)}`,
  );
  for (const r of [...rows, mean]) {
    console.log(
      `  ${r.name.padEnd(32)} ${ns(r.interp)} ${ns(r.jit)} ${ns(r.kernel)} ${times(ratio(r, 'interp'))} ${times(ratio(r, 'jit'))}`,
    );
  }
}
