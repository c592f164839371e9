// Folds the targets of generated programs into a well-formed control-flow graph, as the kernel's
// check_subprogs and check_cfg want it: every local call and function address names a function
// entry (slot 0, or an instruction after an exit or a ja, so each function ends in one); every jump
// lands on an instruction start (never inside an lddw) of its own function. The drawn offset is
// kept as the choice among the allowed targets, so programs still differ in shape.

import fc from 'fast-check';
import { classify, type Instruction, namesFunction, slots, targetOf } from '../../src/isa/index.js';

const mod = (a: number, n: number) => ((a % n) + n) % n;

/** The program with every jump, call and function-address target moved to an allowed one. */
export function withTargetsInside(program: readonly Instruction[]): Instruction[] {
  const at: number[] = [];
  let pc = 0;
  for (const i of program) {
    at.push(pc);
    pc += slots(i);
  }
  const kinds = program.map((i) => classify(i));
  const entries = program
    .map((_, k) => k)
    .filter((k) => k === 0 || kinds[k - 1]!.kind === 'exit' || kinds[k - 1]!.kind === 'ja');
  const out = [...program];
  const relative = (from: number, to: number) => at[to]! - at[from]! - 1;
  const starts = new Set([0]);
  program.forEach((i, k) => {
    if (!namesFunction(i)) return;
    const entry = entries[mod(targetOf(i, kinds[k]!, at[k]!)!, entries.length)]!;
    starts.add(entry);
    out[k] = { ...i, imm: relative(k, entry) };
  });
  const bounds = [...starts].sort((a, b) => a - b);
  program.forEach((i, k) => {
    const kind = kinds[k]!;
    if (kind.kind !== 'jmp' && kind.kind !== 'ja') return;
    const lo = bounds.filter((b) => b <= k).at(-1)!;
    const hi = bounds.find((b) => b > k) ?? program.length;
    const to = lo + mod(targetOf(i, kind, at[k]!)!, hi - lo);
    out[k] =
      kind.kind === 'ja' && kind.long ? { ...i, imm: relative(k, to) } : { ...i, off: relative(k, to) };
  });
  return out;
}

/** Seven in eight programs of `arb` folded (withTargetsInside); the eighth as drawn, so refusals stay exercised. */
export const mostlyWellFormed = (arb: fc.Arbitrary<Instruction[]>): fc.Arbitrary<Instruction[]> =>
  fc.tuple(arb, fc.nat(7)).map(([program, keep]) => (keep === 0 ? program : withTargetsInside(program)));
