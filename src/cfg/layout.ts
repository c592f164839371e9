// The slot view of a program that every CFG pass reads: each instruction's kind, slot and
// target, and which slots are the second half of an lddw. Decoding errors surface here as
// InvalidInstructionError naming the slot (classify's words).

import { type Instruction, slots as slotsOf } from '../isa/instruction.js';
import { classify, type Kind } from '../isa/kind.js';
import { targetOf } from '../isa/target.js';
import { rejected } from './reject.js';

export interface Layout {
  readonly insns: readonly Instruction[];
  readonly kinds: readonly Kind[];
  /** Slot of each instruction. */
  readonly slotOf: readonly number[];
  /** Instruction index at each slot, -1 for an lddw's second slot. */
  readonly insnAt: readonly number[];
  /** The slot each instruction names (jump, local call, callback), or undefined. */
  readonly targets: readonly (number | undefined)[];
  readonly slots: number;
}

export function layout(insns: readonly Instruction[]): Layout {
  if (insns.length === 0) throw rejected(undefined, 'empty program');
  const n = insns.length;
  const kinds = new Array<Kind>(n);
  const slotOf = new Array<number>(n);
  const insnAt: number[] = [];
  const targets = new Array<number | undefined>(n);
  // One options object for every classify call (only its pc changes), not one per instruction.
  const at = { pc: 0 };
  let pc = 0;
  // Plain loops, not callbacks, in the passes every load runs: V8 compiles a hot loop while it
  // runs (on-stack replacement); a callback stays interpreted until it has been called enough.
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    at.pc = pc;
    const kind = classify(i, at);
    kinds[k] = kind;
    slotOf[k] = pc;
    targets[k] = targetOf(i, kind, pc);
    insnAt.push(k);
    if (slotsOf(i) === 2) {
      insnAt.push(-1);
      pc += 2;
    } else pc++;
  }
  return { insns, kinds, slotOf, insnAt, targets, slots: pc };
}
