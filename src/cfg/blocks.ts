// Basic blocks: leaders at each subprogram start, at every jump target and after every jump or
// exit; a block runs from its leader to the slot before the next. Successors follow the block's
// last instruction (fall-through, conditional, `ja`/`gotol`); calls do not end a block.

import { isTailCall, transferOf } from './flow.js';
import type { Layout } from './layout.js';
import { rejected } from './reject.js';
import { slotArrays } from './slot-arrays.js';
import { subprogramOf } from './subprograms.js';
import type { Block } from './types.js';

export interface Blocks {
  readonly blocks: Block[];
  readonly blockOf: number[];
}

/** Splits the program into blocks; `seen` marks the slots the entry reaches. */
export function basicBlocks(l: Layout, starts: readonly number[], seen: Uint8Array): Blocks {
  const mem = slotArrays(l);
  const leader = mem.uint8(l.slots);
  for (const s of starts) leader[s] = 1;
  // Plain loops here and below: they run on every load, mostly before V8 has optimized them.
  // Tail-call slots, marked here to save another pass over the instructions.
  const tailAt = mem.uint8(l.slots);
  for (let k = 0; k < l.kinds.length; k++) {
    const kind = l.kinds[k]!;
    const transfer = transferOf(kind);
    if (transfer === 'next') {
      if (isTailCall(l.insns[k]!, kind)) tailAt[l.slotOf[k]!] = 1;
      continue;
    }
    const after = l.slotOf[k + 1] ?? l.slots;
    if (after < l.slots) leader[after] = 1;
    const t = l.targets[k];
    if (t === undefined) continue;
    // Only an unreachable jump can still name an lddw's second slot here (reach.ts caught the rest).
    if (l.insnAt[t] === -1) throw rejected(t - 1, `jump into the middle of ldimm64 insn ${t - 1}`);
    leader[t] = 1;
  }

  const blockOf = new Array<number>(l.slots);
  const firsts: number[] = [];
  for (let pc = 0; pc < l.slots; pc++) {
    if (leader[pc] === 1) firsts.push(pc);
    blockOf[pc] = firsts.length - 1;
  }
  const succ: number[][] = firsts.map(() => []);
  const pred: number[][] = firsts.map(() => []);
  const lastOf = (b: number) => {
    const end = firsts[b + 1] ?? l.slots;
    return l.insnAt[end - 1]! < 0 ? end - 2 : end - 1;
  };
  for (let b = 0; b < firsts.length; b++) {
    const last = lastOf(b);
    const k = l.insnAt[last]!;
    const transfer = transferOf(l.kinds[k]!);
    const end = firsts[b + 1] ?? l.slots;
    const next = transfer === 'next' || transfer === 'branch' ? blockOf[end]! : -1;
    const taken = transfer === 'branch' || transfer === 'jump' ? blockOf[l.targets[k]!]! : -1;
    // At most two successors, ascending and distinct.
    const out = succ[b]!;
    if (next >= 0) out.push(next);
    if (taken >= 0 && taken !== next) {
      if (taken < next) out.unshift(taken);
      else out.push(taken);
    }
    for (const s of out) pred[s]!.push(b);
  }

  const tail = mem.uint8(firsts.length);
  for (let pc = 0; pc < l.slots; pc++) if (tailAt[pc] === 1) tail[blockOf[pc]!] = 1;
  const blocks: Block[] = [];
  for (let id = 0; id < firsts.length; id++) {
    const start = firsts[id]!;
    const last = lastOf(id);
    blocks.push({
      id,
      start,
      end: firsts[id + 1] ?? l.slots,
      last,
      subprogram: subprogramOf(starts, start),
      transfer: transferOf(l.kinds[l.insnAt[last]!]!),
      successors: succ[id]!,
      predecessors: pred[id]!, // pushed in ascending b order
      tailCall: tail[id] === 1,
      reachable: seen[start] === 1,
    });
  }
  return { blocks, blockOf };
}
