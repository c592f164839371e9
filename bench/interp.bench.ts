// Benchmark of the reference interpreter: nanoseconds per executed instruction on a few loops
// (counting, 64-bit ALU, stack loads/stores, region memory, local calls).
// Run: npm run bench
// Absolute times vary by machine; compare the rows of one run.

import { Interpreter } from '../src/interp/index.js';
import { alu32, alu64, callLocal, exit, jmp, ld64, ldx, mov, stx } from '../src/interp/test-builders.js';
import type { Instruction } from '../src/isa/index.js';
import { runWithMemory } from '../src/runtime/index.js';

const N = 1_000_000;

interface Case {
  readonly name: string;
  readonly program: Instruction[];
  readonly memory?: Uint8Array;
}

const cases: Case[] = [
  {
    name: 'count (add, sub, jne)',
    program: [
      mov('r0', 0),
      mov('r1', N),
      alu64('add', 'r0', 1),
      alu64('sub', 'r1', 1),
      jmp('jne', 'r1', 0, -3),
      exit(),
    ],
  },
  {
    name: 'alu64 xorshift + mul',
    program: [
      ld64('r2', 88172645463325252n),
      mov('r0', 0),
      mov('r1', N / 4),
      mov('r3', 'r2'),
      alu64('lsh', 'r3', 13),
      alu64('xor', 'r2', 'r3'),
      mov('r3', 'r2'),
      alu64('rsh', 'r3', 7),
      alu64('xor', 'r2', 'r3'),
      mov('r3', 'r2'),
      alu64('lsh', 'r3', 17),
      alu64('xor', 'r2', 'r3'),
      alu64('mul', 'r3', 0x9e3779b9 | 0),
      alu64('add', 'r0', 'r3'),
      alu32('add', 'r4', 'r3'),
      alu64('sub', 'r1', 1),
      jmp('jne', 'r1', 0, -14),
      exit(),
    ],
  },
  {
    name: 'stack ldx/stx',
    program: [
      mov('r2', 0),
      stx(8, 'r10', -8, 'r2'),
      mov('r1', N / 2),
      ldx(8, 'r2', 'r10', -8),
      alu64('add', 'r2', 'r1'),
      stx(8, 'r10', -8, 'r2'),
      stx(4, 'r10', -16, 'r1'),
      ldx(4, 'r3', 'r10', -16),
      alu64('sub', 'r1', 1),
      jmp('jne', 'r1', 0, -7),
      ldx(8, 'r0', 'r10', -8),
      exit(),
    ],
  },
  {
    name: 'region bytes (r1 = mem, r2 = len)',
    memory: new Uint8Array(4096).map((_, k) => k * 7),
    program: [
      mov('r0', 0),
      mov('r4', 'r1'),
      alu64('add', 'r4', 'r2'), // r4 = end
      ldx(1, 'r3', 'r1', 0), // loop:
      alu64('add', 'r0', 'r3'),
      alu64('add', 'r1', 1),
      jmp('jlt', 'r1', 'r4', -4),
      exit(),
    ],
  },
  {
    name: 'local call',
    program: [
      mov('r6', N / 8),
      mov('r7', 0),
      mov('r1', 'r6'), // loop:
      callLocal(5),
      alu64('add', 'r7', 'r0'),
      alu64('sub', 'r6', 1),
      jmp('jne', 'r6', 0, -5),
      mov('r0', 'r7'),
      exit(),
      mov('r0', 'r1'), // fn:
      alu64('mul', 'r0', 2),
      exit(),
    ],
  },
];

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
