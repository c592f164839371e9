// Benchmark of the fixed cost of one run: an immediate XDP_DROP and a short parser (xdp_parse on
// a 54-byte IPv4 TCP SYN), on the cheap run paths (Engine.runContext, VmProgram.runOn), through
// BPF_PROG_TEST_RUN's contract (program.run with repeat, and one run per call), and the kernel's
// BPF_PROG_TEST_RUN with repeat, all in one process. Prints ns per run (CPU time of the process;
// the repeat rows: the duration the run reports) and the ratio to the kernel.
// Run: npm run bench (root on Linux; without bpf() the kernel column is skipped with the reason).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import {
  assemble,
  type CollectionSpec,
  type EngineName,
  JitEngine,
  load,
  loadCollectionSpec,
  XdpContext,
} from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';

const root = new URL('../../', import.meta.url);
const RUNS = 1_000_000;
const ROUNDS = 5;

const drop: CollectionSpec = {
  programs: [
    {
      name: 'xdp_drop',
      sectionName: 'xdp',
      type: 'XDP',
      flags: 0,
      instructions: assemble('r0 = 1\nexit'),
      license: 'GPL',
      funcInfo: [],
      lineInfo: [],
    },
  ],
  maps: [],
  variables: [],
  license: 'GPL',
};
const parse = loadCollectionSpec(new Uint8Array(readFileSync(new URL('examples/xdp_parse.v3.o', root))));
const syn = new Uint8Array(readFileSync(new URL('test/packets/ipv4_tcp_syn.bin', root)));

/** CPU time of this process (user + system), in ns: unlike wall time, not inflated by other processes. */
function cpuNs(): number {
  const t = process.cpuUsage();
  return (t.user + t.system) * 1000;
}

/**
 * Best of ROUNDS of the mean CPU time of one call, in ns: `loop(n)` makes `n` calls in a loop of
 * its own, as a data path does (a harness calling a closure per run added ~4 ns of its own call).
 */
function best(runs: number, loop: (n: number) => void): number {
  loop(1000); // warm up the JS tiers
  let ns = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = cpuNs();
    loop(runs);
    ns = Math.min(ns, (cpuNs() - t0) / runs);
  }
  return ns;
}

/** Best of ROUNDS of the per-run duration a test run with `repeat` reports (kernel or VM). */
function bestReported(run: (repeat: number) => number): number {
  run(1000);
  let ns = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) ns = Math.min(ns, run(RUNS));
  return ns;
}

function measure(
  spec: CollectionSpec,
  name: string,
  data: Uint8Array,
  engineName: EngineName,
): Map<string, number> {
  const rows = new Map<string, number>();
  using vm = load(spec, { engine: engineName });
  const program = vm.program(name);
  const ctx = XdpContext.create('XDP', vm.space, {
    data,
    ctx: undefined,
    flags: 0,
    interfaces: vm.interfaces,
  });
  if (!(ctx instanceof XdpContext)) throw new Error(ctx.reason);
  const retval = program.run({ data }).retval;
  try {
    const address = ctx.struct.start;
    const engine = program.engine;
    if (engine.runContext(address) !== retval || program.runOn(ctx) !== retval)
      throw new Error(`${name}: the run paths disagree`);
    rows.set(
      'engine.runContext(ctx)',
      best(RUNS, (n) => {
        for (let k = 0; k < n; k++) engine.runContext(address);
      }),
    );
    rows.set(
      'program.runOn(ctx)',
      best(RUNS, (n) => {
        for (let k = 0; k < n; k++) program.runOn(ctx);
      }),
    );
    if (engine instanceof JitEngine) {
      // One call into Wasm for a batch of 64 contexts (a NAPI poll's budget), cost per context.
      const BATCH = 64;
      const ctxs = vm.space.allocate('batch ctxs', 4 * BATCH, { kind: 'scratch' });
      const results = vm.space.allocate('batch results', 4 * BATCH, { kind: 'scratch' });
      for (let k = 0; k < BATCH; k++) vm.space.view.setUint32(ctxs.start + 4 * k, address, true);
      engine.runBatch(ctxs.start, BATCH, results.start);
      if (vm.space.view.getUint32(results.start + 4 * (BATCH - 1), true) !== retval)
        throw new Error(`${name}: runBatch disagrees`);
      rows.set(
        `engine.runBatch(${BATCH} ctxs) per ctx`,
        best(RUNS / BATCH, (n) => {
          for (let k = 0; k < n; k++) engine.runBatch(ctxs.start, BATCH, results.start);
        }) / BATCH,
      );
    }
  } finally {
    ctx.release();
  }
  rows.set(
    'program.run({ data, repeat })',
    bestReported((repeat) => program.run({ data, repeat }).duration),
  );
  rows.set(
    'program.run({ data }) per call',
    best(RUNS / 50, (n) => {
      for (let k = 0; k < n; k++) program.run({ data });
    }),
  );
  return rows;
}

function kernel(spec: CollectionSpec, name: string, data: Uint8Array): number {
  using k = loadKernel(spec);
  const program = k.program(name);
  return bestReported((repeat) => program.run({ data, repeat }).duration);
}

const cases = [
  ['XDP_DROP (r0 = 1; exit)', drop, 'xdp_drop', new Uint8Array(64)],
  ['xdp_parse on a 54-byte TCP SYN', parse, 'xdp_parse', syn],
] as const;

/**
 * The JIT's rows of case `k` measured in a fresh process that runs nothing else: there the
 * call sites of the run path have seen one engine and one compiled program. In this process they
 * have seen both engines and both programs, and V8 cannot inline a call into Wasm whose target
 * varies (~4-7 ns per single call).
 */
function alone(k: number): Map<string, number> {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--alone', String(k)], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`--alone ${k} failed: ${child.stderr}`);
  return new Map(JSON.parse(child.stdout) as [string, number][]);
}

const only = process.argv.indexOf('--alone');
if (only >= 0) {
  const [, spec, name, data] = cases[Number(process.argv[only + 1])]!;
  console.log(JSON.stringify([...measure(spec, name, data, 'jit')]));
  process.exit(0);
}

const availability = bpfAvailability();
console.log(`fixed cost of one run: ns of CPU time per run (best of ${ROUNDS} rounds of ${RUNS} runs)`);
if (!availability.ok) console.log(`  (kernel column skipped: ${availability.reason})`);
for (const [k, [label, spec, name, data]] of cases.entries()) {
  const rows = new Map<string, number>();
  for (const engine of ['interp', 'jit'] as const)
    for (const [path, ns] of measure(spec, name, data, engine)) rows.set(`[${engine}] ${path}`, ns);
  for (const [path, ns] of alone(k))
    if (path.startsWith('engine.') || path.startsWith('program.runOn')) rows.set(`[jit, alone] ${path}`, ns);
  const kns = availability.ok ? kernel(spec, name, data) : undefined;
  console.log(`  ${label}`);
  for (const [path, ns] of rows) {
    const ratio = kns === undefined ? '' : `   ${(ns / kns).toFixed(1).padStart(6)}x kernel`;
    console.log(`    ${path.padEnd(44)} ${ns.toFixed(1).padStart(8)} ns${ratio}`);
  }
  if (kns !== undefined)
    console.log(`    ${'kernel BPF_PROG_TEST_RUN (repeat)'.padEnd(44)} ${kns.toFixed(1).padStart(8)} ns`);
}
