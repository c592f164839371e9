// Benchmark of the reference interpreter: nanoseconds per executed instruction on a few loops
// (counting, 64-bit ALU, stack loads/stores, region memory, local calls).
// Run: npm run bench
// Absolute times vary by machine; compare the rows of one run.

import { Interpreter, runWithMemory } from '../src/index.js';
import { type Case, loopCases } from './programs.js';

const cases = loopCases(1_000_000);

function measure(c: Case): { ns: number; steps: number } {
  const vm = new Interpreter(c.program, { budget: 100_000_000 });
  const once = () => (c.memory === undefined ? vm.run() : runWithMemory(vm, c.memory));
  let steps = 0;
  for (let k = 0; k < 5; k++) steps = once().steps; // warm up (JIT tiers)
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    let total = 0;
    // CPU time, not wall time: the machine is shared and wall time counts other processes.
    const t0 = process.cpuUsage().user;
    while (total < 5_000_000) total += once().steps;
    best = Math.min(best, ((process.cpuUsage().user - t0) * 1e3) / total);
  }
  return { ns: best, steps };
}

console.log('interpreter: ns of CPU time per instruction (best of 5 rounds of >= 5M instructions)');
for (const c of cases) {
  const { ns, steps } = measure(c);
  console.log(`  ${c.name.padEnd(36)} ${ns.toFixed(2).padStart(6)} ns/insn   (${steps} insns per run)`);
}
