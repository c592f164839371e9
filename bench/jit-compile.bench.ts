// Compile time of the Wasm JIT for 6,000-instruction programs (issue 8 asks for < 50 ms):
// `lb`, bench/lb-program.ts (460 unrolled hash / map lookup / read-modify-write blocks: helper
// calls and checked map-value accesses), and `straight`, a run of ALU, stack loads and stores
// and forward branches. Each is timed as `new JitEngine` (compile + Wasm module + instance):
// cold, the first compile in a fresh Node process (COLD processes, the child runs this file
// with `--cold NAME`), the same plus the first run (V8 compiles the Wasm lazily, at the first call),
// and warm, the median of 20 compiles of the same bytes in one process (V8 reuses the compiled
// module for identical bytes, so warm leaves the Wasm compile out).
// Run: npm run build && node dist/bench/jit-compile.bench.js

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assemble, type Instruction, JitEngine } from '../src/index.js';
import { lbInstructions } from './lb-program.js';

const COLD = 7;

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

const compileMs = (program: readonly Instruction[]) => new JitEngine(program, OPTIONS).compileMs;

/**
 * `new JitEngine` and its first run: V8 compiles Wasm functions lazily (Liftoff at the first call),
 * so the constructor alone leaves that out. The run faults at once (no map at the stand-in address)
 * or ends; either way the entry function has been compiled.
 */
function compileAndFirstRunMs(program: readonly Instruction[]): number {
  const t0 = performance.now();
  const engine = new JitEngine(program, OPTIONS);
  try {
    engine.run();
  } catch {
    // A fault of the stand-in map address is expected; only the time matters here.
  }
  return performance.now() - t0;
}

const coldArg = process.argv.indexOf('--cold');
if (coldArg >= 0) {
  const program = PROGRAMS[process.argv[coldArg + 1]!]!();
  console.log(process.argv.includes('--first-run') ? compileAndFirstRunMs(program) : compileMs(program));
} else {
  const self = fileURLToPath(import.meta.url);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(
    '| program | instructions | Wasm bytes | cold ms (best / median of 7 processes) | cold + first run ms (best / median) | warm ms (median of 20; same bytes, V8 reuses the module) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [name, make] of Object.entries(PROGRAMS)) {
    const coldRuns = (extra: string[]) =>
      Array.from({ length: COLD }, () => {
        const out = spawnSync(process.execPath, [self, '--cold', name, ...extra], { encoding: 'utf8' });
        return Number(out.stdout.trim());
      });
    const cold = coldRuns([]);
    const first = coldRuns(['--first-run']);
    const program = make();
    const warm: number[] = [];
    for (let k = 0; k < 20; k++) warm.push(compileMs(program));
    const bytes = new JitEngine(program, OPTIONS).codeBytes;
    console.log(
      `| ${name} | ${program.length} | ${bytes} | ${Math.min(...cold).toFixed(1)} / ${median(cold).toFixed(1)} | ${Math.min(...first).toFixed(1)} / ${median(first).toFixed(1)} | ${median(warm).toFixed(1)} |`,
    );
  }
}
