// Reachability from the entry, as the kernel's check_cfg walks it: fall-through, jumps, and into
// every subprogram a local call or a function-address lddw names. Then, in slot order, the
// kernel's two complaints: "unreachable insn %d" and "jump into the middle of ldimm64 insn %d".

import { assertNever } from '../errors.js';
import { transferOf } from './flow.js';
import type { Layout } from './layout.js';
import { rejected } from './reject.js';
import { slotArrays } from './slot-arrays.js';

/** Per slot: 1 if the entry reaches the instruction starting there. */
export function reachable(l: Layout, options: { readonly allowUnreachable: boolean }): Uint8Array {
  const seen = slotArrays(l).uint8(l.slots);
  const stack = [0];
  seen[0] = 1;
  const push = (w: number) => {
    if (seen[w] === 1) return;
    seen[w] = 1;
    // A target in an lddw's second slot is reported below; the walk does not go on from there.
    if (l.insnAt[w]! >= 0) stack.push(w);
  };
  while (stack.length > 0) {
    const pc = stack.pop()!;
    let k = l.insnAt[pc]!;
    // Straight-line runs are walked in place, not pushed and popped one instruction at a time.
    while (k + 1 < l.insns.length && l.targets[k] === undefined && transferOf(l.kinds[k]!) === 'next') {
      const next = l.slotOf[k + 1]!;
      if (seen[next] === 1) break;
      seen[next] = 1;
      k++;
    }
    const kind = l.kinds[k]!;
    const next = k + 1 < l.insns.length ? l.slotOf[k + 1]! : l.slots;
    const t = l.targets[k];
    const transfer = transferOf(kind);
    switch (transfer) {
      case 'next':
        // checkSubprograms made sure the last slot of each subprogram is an exit or a jump.
        push(next);
        if (t !== undefined) push(t); // callee or callback
        break;
      case 'branch':
        push(next);
        push(t!);
        break;
      case 'jump':
        push(t!);
        break;
      case 'exit':
        break;
      default:
        assertNever(transfer, 'transfer');
    }
  }
  for (let pc = 0; pc < l.slots; pc++) {
    if (l.insnAt[pc]! < 0) continue;
    if (seen[pc] !== 1 && !options.allowUnreachable) throw rejected(pc, `unreachable insn ${pc}`);
    if (l.insnAt[pc + 1] === -1 && seen[pc + 1] === 1) {
      throw rejected(pc, `jump into the middle of ldimm64 insn ${pc}`);
    }
  }
  return seen;
}
