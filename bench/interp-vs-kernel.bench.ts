// Benchmark: the reference interpreter against the kernel (BPF_PROG_TEST_RUN, the kernel's JIT)
// on the same straight-line programs, in one run. The kernel runs each program `repeat` times
// and reports the mean wall time of one run; the interpreter is timed the same way.
// The loops of interp.bench.ts (with fewer iterations: the verifier walks every one) and
// straight-line programs (no loop overhead; random instruction mixes defeat branch prediction
// in a switch-based interpreter, which the loops hide).
// Run: npm run bench (root on Linux; without bpf() only the interpreter rows print).

import { type Instruction, Interpreter, insn, op } from '../src/index.js';
import { bpfAvailability, loadProgram } from '../src/kernel/index.js';
import { loopCases } from './programs.js';

const LENGTH = 2000;
const REPEAT = 20_000;
/** Loop iterations: small enough for the verifier's 1M-instruction walk. */
const LOOPS = 40_000;

/** A small deterministic PRNG (xorshift32) so every run benchmarks the same programs. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const { BPF_ALU64, BPF_ALU, BPF_K, BPF_X, BPF_STX, BPF_LDX, BPF_MEM, BPF_DW, BPF_W, BPF_JMP } = op;
const ALU_OPS = [
  op.BPF_ADD,
  op.BPF_SUB,
  op.BPF_MUL,
  op.BPF_OR,
  op.BPF_AND,
  op.BPF_XOR,
  op.BPF_LSH,
  op.BPF_RSH,
];

function prologue(): Instruction[] {
  // r0-r5 get distinct values; r6 = 0 keeps the stack slots initialised below r10.
  return [0, 1, 2, 3, 4, 5].map((r) => insn(BPF_ALU64 | op.BPF_MOV | BPF_K, r, 0, 0, 0x1234567 * (r + 1)));
}

function aluProgram(): Instruction[] {
  const next = rng(1);
  const body: Instruction[] = prologue();
  while (body.length < LENGTH) {
    const code = ALU_OPS[next() % ALU_OPS.length]!;
    const cls = next() % 3 === 0 ? BPF_ALU : BPF_ALU64;
    const dst = next() % 6;
    const shift = code === op.BPF_LSH || code === op.BPF_RSH;
    if (shift || next() % 2 === 0)
      body.push(insn(cls | code | BPF_K, dst, 0, 0, shift ? next() % 31 : next() | 0));
    else body.push(insn(cls | code | BPF_X, dst, next() % 6, 0, 0));
  }
  return [...body, insn(op.OP_EXIT, 0, 0, 0, 0)];
}

function stackProgram(): Instruction[] {
  const next = rng(2);
  const body: Instruction[] = prologue();
  for (let slot = 1; slot <= 16; slot++) body.push(insn(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8 * slot, 0));
  while (body.length < LENGTH) {
    const r = next() % 6;
    const at = -8 * (1 + (next() % 16));
    const wide = next() % 2 === 0;
    if (next() % 2 === 0) body.push(insn(BPF_STX | BPF_MEM | (wide ? BPF_DW : BPF_W), 10, r, at, 0));
    else body.push(insn(BPF_LDX | BPF_MEM | (wide ? BPF_DW : BPF_W), r, 10, at, 0));
    body.push(insn(BPF_ALU64 | op.BPF_ADD | BPF_K, r, 0, 0, 1));
  }
  return [...body, insn(op.OP_EXIT, 0, 0, 0, 0)];
}

function branchProgram(): Instruction[] {
  const next = rng(3);
  const body: Instruction[] = prologue();
  const conds = [op.BPF_JGT, op.BPF_JEQ, op.BPF_JSGT, op.BPF_JSET, op.BPF_JNE];
  while (body.length < LENGTH) {
    body.push(insn(BPF_ALU64 | op.BPF_ADD | BPF_K, next() % 6, 0, 0, next() | 0));
    // A forward skip over one instruction: both paths stay straight-line.
    body.push(insn(BPF_JMP | conds[next() % conds.length]! | BPF_X, next() % 6, next() % 6, 1, 0));
    body.push(insn(BPF_ALU64 | op.BPF_XOR | BPF_X, next() % 6, next() % 6, 0, 0));
  }
  return [...body, insn(op.OP_EXIT, 0, 0, 0, 0)];
}

/** Mean wall time of one run in ns (best of 5 rounds), and the instructions one run executes. */
function timeInterpreter(program: Instruction[], runs: number): { ns: number; steps: number } {
  const vm = new Interpreter(program, { budget: 100_000_000 });
  let steps = 0;
  for (let k = 0; k < 20; k++) steps = vm.run().steps; // warm up the JS tiers
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let k = 0; k < runs; k++) vm.run();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / runs);
  }
  return { ns: best, steps };
}

function timeKernel(program: Instruction[], repeat: number): number | undefined {
  if (!bpfAvailability().ok) return undefined;
  using prog = loadProgram({ type: 'XDP', insns: program });
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    best = Math.min(best, prog.testRun({ data: new Uint8Array(64), repeat }).duration);
  }
  return best;
}

const availability = bpfAvailability();
console.log('interpreter vs kernel JIT (BPF_PROG_TEST_RUN): ns of wall time per executed instruction');
if (!availability.ok) console.log(`  (kernel rows skipped: ${availability.reason})`);
const loops = loopCases(LOOPS)
  .filter((c) => c.memory === undefined)
  .map((c) => ({ name: `loop: ${c.name}`, program: c.program, runs: 20, repeat: 200 }));
const straight = [
  { name: 'straight: alu (32/64, imm/reg)', program: aluProgram() },
  { name: 'straight: stack ldx/stx', program: stackProgram() },
  { name: 'straight: forward branches', program: branchProgram() },
].map((c) => ({ ...c, runs: 500, repeat: REPEAT }));
for (const { name, program, runs, repeat } of [...loops, ...straight]) {
  const interp = timeInterpreter(program, runs);
  const kernel = timeKernel(program, repeat);
  const per = (ns: number) => (ns / interp.steps).toFixed(2).padStart(6);
  const k =
    kernel === undefined ? '' : `  kernel ${per(kernel)} ns/insn   ratio ${(interp.ns / kernel).toFixed(1)}x`;
  console.log(
    `  ${name.padEnd(34)} ${String(interp.steps).padStart(7)} insns   interp ${per(interp.ns)} ns/insn${k}`,
  );
}
