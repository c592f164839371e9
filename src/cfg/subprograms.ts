// Subprogram boundaries, as the kernel's add_subprog_and_kfunc and check_subprogs find and
// check them (kernel/bpf/verifier.c): a subprogram starts at 0 and at every target of a local
// call or a function-address lddw; no jump leaves its subprogram, and the last slot of each is
// an exit or an unconditional jump, so that no subprogram falls into the next.

import { namesFunction } from '../isa/target.js';
import type { Layout } from './layout.js';
import { rejected } from './reject.js';

/** Start slots of the subprograms, ascending (0 first). */
export function subprogramStarts(l: Layout): number[] {
  const starts = new Set<number>([0]);
  // A plain loop, not forEach: it runs on every load, mostly before V8 optimizes it.
  for (let k = 0; k < l.insns.length; k++) {
    if (!namesFunction(l.insns[k]!)) continue;
    const t = l.targets[k]!;
    if (t < 0 || t >= l.slots) throw rejected(l.slotOf[k], 'call to invalid destination');
    starts.add(t);
  }
  return [...starts].sort((a, b) => a - b);
}

/** check_subprogs: jumps stay inside their subprogram; each subprogram ends in exit or ja. */
export function checkSubprograms(l: Layout, starts: readonly number[]): void {
  let sub = 0;
  let end = starts[1] ?? l.slots;
  for (let pc = 0; pc < l.slots; pc++) {
    const k = l.insnAt[pc]!;
    // The second slot of an lddw is neither a jump nor an exit (its opcode byte is 0).
    const kind = k < 0 ? undefined : l.kinds[k]!;
    if (kind !== undefined && (kind.kind === 'jmp' || kind.kind === 'ja')) {
      const t = l.targets[k]!;
      if (t < starts[sub]! || t >= end) throw rejected(pc, `jump out of range from insn ${pc} to ${t}`);
    }
    if (pc === end - 1) {
      if (kind?.kind !== 'exit' && kind?.kind !== 'ja') throw rejected(pc, 'last insn is not an exit or jmp');
      sub++;
      end = starts[sub + 1] ?? l.slots;
    }
  }
}

/** Index of the subprogram holding `slot` (starts ascending, starts[0] = 0). */
export function subprogramOf(starts: readonly number[], slot: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= slot) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
