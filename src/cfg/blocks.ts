// Basic blocks: leaders at each subprogram start, at every jump target and after every jump or
// exit; a block runs from its leader to the slot before the next. Successors follow the block's
// last instruction (fall-through, conditional, `ja`/`gotol`); calls do not end a block.

import { isTailCall, transferOf } from './flow.js';
import type { Layout } from './layout.js';
import { rejected } from './reject.js';
import { subprogramOf } from './subprograms.js';
import type { Block } from './types.js';

export interface Blocks {
  readonly blocks: Block[];
  readonly blockOf: number[];
}

/** Splits the program into blocks; `seen` marks the slots the entry reaches. */
export function basicBlocks(l: Layout, starts: readonly number[], seen: Uint8Array): Blocks {
  const leader = new Uint8Array(l.slots);
  for (const s of starts) leader[s] = 1;
  l.kinds.forEach((kind, k) => {
    const transfer = transferOf(kind);
    if (transfer === 'next') return;
    const after = l.slotOf[k + 1] ?? l.slots;
    if (after < l.slots) leader[after] = 1;
    const t = l.targets[k];
    if (t === undefined) return;
    // Only an unreachable jump can still name an lddw's second slot here (reach.ts caught the rest).
    if (l.insnAt[t] === -1) throw rejected(t - 1, `jump into the middle of ldimm64 insn ${t - 1}`);
    leader[t] = 1;
  });

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
  firsts.forEach((_, b) => {
    const last = lastOf(b);
    const k = l.insnAt[last]!;
    const transfer = transferOf(l.kinds[k]!);
    const out = new Set<number>();
    const end = firsts[b + 1] ?? l.slots;
    if (transfer === 'next' || transfer === 'branch') out.add(blockOf[end]!);
    if (transfer === 'branch' || transfer === 'jump') out.add(blockOf[l.targets[k]!]!);
    succ[b] = [...out].sort((x, y) => x - y);
    for (const s of succ[b]!) pred[s]!.push(b);
  });

  const tail = new Uint8Array(firsts.length);
  l.kinds.forEach((kind, k) => {
    if (isTailCall(l.insns[k]!, kind)) tail[blockOf[l.slotOf[k]!]!] = 1;
  });
  const blocks = firsts.map(
    (start, id): Block => ({
      id,
      start,
      end: firsts[id + 1] ?? l.slots,
      last: lastOf(id),
      subprogram: subprogramOf(starts, start),
      transfer: transferOf(l.kinds[l.insnAt[lastOf(id)]!]!),
      successors: succ[id]!,
      predecessors: pred[id]!, // pushed in ascending b order
      tailCall: tail[id] === 1,
      reachable: seen[start] === 1,
    }),
  );
  return { blocks, blockOf };
}
