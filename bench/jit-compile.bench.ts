// Compile time of the Wasm JIT for 6,000-instruction programs (issue 8 asks for < 50 ms):
// `lb`, bench/lb-program.ts (460 unrolled hash / map lookup / read-modify-write blocks: helper
// calls and checked map-value accesses), and `straight`, a run of ALU, stack loads and stores
// and forward branches. Each figure is `new JitEngine` (compile + Wasm module + instance) plus
// the first run, because V8 compiles Wasm functions lazily (Liftoff at the first call):
// - warm: a process that has compiled other programs before (as a long-running tool has)
//   compiles a variant of the program it has not seen (one immediate changed), so V8's cache of
//   compiled modules, keyed by the wire bytes, does not hit; median of 20;
// - cold: the first compile in a fresh Node process (COLD processes; the child runs this file
//   with `--cold NAME`), the compiler's own code still unoptimized.
// Each is reported as wall time and as CPU time (user + system of the process, V8's background
// compile and GC threads included): on a shared machine the wall time mostly measures the wait
// for a core.
// Run: npm run build && node dist/bench/jit-compile.bench.js

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assemble, type Instruction, JitEngine } from '../src/index.js';
import { lbInstructions } from './lb-program.js';

const COLD = 7;
const WARM = 20;

function straight(): Instruction[] {
  const lines: string[] = [];
  for (let k = 0; lines.length < 5990; k++) {
    lines.push(`r${k % 5} = ${k}`, `*(u64 *)(r10 - ${8 * ((k % 60) + 1)}) = r${k % 5}`);
    lines.push(`r6 = *(u64 *)(r10 - ${8 * ((k % 60) + 1)})`, `r6 += r${(k + 1) % 5}`);
    lines.push(`if r6 > ${k} goto +1`, 'r7 ^= r6');
  }
  lines.push('r0 = r7', 'exit');
  return assemble(lines.join('\n'));
}

const PROGRAMS: Record<string, () => Instruction[]> = { lb: lbInstructions, straight };
// The lb program's helper and map: a stand-in helper and a constant address are enough to compile.
const OPTIONS = { helpers: new Map([[1, () => 0n]]), resolveLddw: () => 0x10000n };

/** The program with the immediate of its first ALU-with-constant instruction set to `seed`: new Wasm bytes. */
function variant(program: readonly Instruction[], seed: number): Instruction[] {
  const aluK = (op: number) => ((op & 7) === 4 || (op & 7) === 7) && (op & 8) === 0;
  const at = program.findIndex((i) => aluK(i.op));
  return program.map((i, k) => (k === at ? { ...i, imm: seed } : i));
}

/**
 * `new JitEngine` and its first run (which faults at once at the stand-in map address, or ends):
 * [wall ms, CPU ms].
 */
function compileAndFirstRunMs(program: readonly Instruction[]): [number, number] {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const engine = new JitEngine(program, OPTIONS);
  try {
    engine.run();
  } catch {
    // A fault of the stand-in map address is expected; only the time matters here.
  }
  const cpu = process.cpuUsage(c0);
  return [performance.now() - t0, (cpu.user + cpu.system) / 1000];
}

const coldArg = process.argv.indexOf('--cold');
if (coldArg >= 0) {
  console.log(compileAndFirstRunMs(PROGRAMS[process.argv[coldArg + 1]!]!()).join(' '));
} else {
  const self = fileURLToPath(import.meta.url);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const stats = (xs: number[]) => `${Math.min(...xs).toFixed(1)} / ${median(xs).toFixed(1)}`;
  const both = (runs: [number, number][]) =>
    `${stats(runs.map((r) => r[0]))} | ${stats(runs.map((r) => r[1]))}`;
  console.log(
    `| program | instructions | Wasm bytes | warm, new bytes: wall ms (best / median of ${WARM}) | warm: CPU ms | cold: wall ms (best / median of ${COLD} processes) | cold: CPU ms |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, make] of Object.entries(PROGRAMS)) {
    const cold = Array.from({ length: COLD }, () => {
      const out = spawnSync(process.execPath, [self, '--cold', name], { encoding: 'utf8' });
      const times = out.stdout.trim().split(' ').map(Number);
      if (times.length !== 2 || !times.every((t) => t > 0))
        throw new Error(`cold child failed: ${out.stderr}`);
      return times as [number, number];
    });
    const program = make();
    // Warm the compiler on programs other than the ones timed.
    for (let k = 0; k < 5; k++) compileAndFirstRunMs(variant(program, 1000 + k));
    const warm = Array.from({ length: WARM }, (_, k) => compileAndFirstRunMs(variant(program, 2000 + k)));
    const bytes = new JitEngine(program, OPTIONS).codeBytes;
    console.log(`| ${name} | ${program.length} | ${bytes} | ${both(warm)} | ${both(cold)} |`);
  }
}
