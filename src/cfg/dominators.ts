// Dominators per subprogram by the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple,
// Fast Dominance Algorithm", 2001): immediate dominators refined over reverse postorder until
// nothing changes. Blocks the subprogram's entry does not reach get -1.

import { slotArrays } from './slot-arrays.js';
import type { Block, Subprogram } from './types.js';

/** Reverse postorder of the blocks reachable from `entry` along successors. */
export function reversePostorder(blocks: readonly Block[], entry: number): number[] {
  // Typed arrays for the visited set and the stack (block, next successor): no Set and no
  // tuple per block, as this runs on every load, mostly before V8 optimizes it.
  const post: number[] = [];
  const mem = slotArrays(blocks);
  const visited = mem.uint8(blocks.length);
  const stackBlock = mem.int32(blocks.length);
  const stackNext = mem.int32(blocks.length);
  let depth = 1;
  stackBlock[0] = entry;
  visited[entry] = 1;
  while (depth > 0) {
    const top = stackBlock[depth - 1]!;
    const succ = blocks[top]!.successors;
    const k = stackNext[depth - 1]!;
    if (k < succ.length) {
      stackNext[depth - 1] = k + 1;
      const s = succ[k]!;
      if (visited[s] !== 1) {
        visited[s] = 1;
        stackBlock[depth] = s;
        stackNext[depth] = 0;
        depth++;
      }
    } else {
      post.push(top);
      depth--;
    }
  }
  return post.reverse();
}

/** Fills `idom` (indexed by block id) for the blocks of `sub`. */
export function dominators(blocks: readonly Block[], sub: Subprogram, idom: number[]): void {
  const rpo = reversePostorder(blocks, sub.entry);
  // Position in rpo by block id, -1 for blocks the entry does not reach.
  const order = slotArrays(blocks).int32(blocks.length).fill(-1);
  for (let k = 0; k < rpo.length; k++) order[rpo[k]!] = k;
  for (const b of sub.blocks) idom[b] = -1;
  idom[sub.entry] = sub.entry;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (order[a]! > order[b]!) a = idom[a]!;
      while (order[b]! > order[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of rpo) {
      if (b === sub.entry) continue;
      let next = -1;
      for (const p of blocks[b]!.predecessors) {
        if (idom[p] === -1 || order[p]! < 0) continue;
        next = next === -1 ? p : intersect(p, next);
      }
      if (idom[b] !== next) {
        idom[b] = next;
        changed = true;
      }
    }
  }
}

/** True if block `a` dominates block `b` (every path from the entry to b passes a). */
export function dominates(idom: readonly number[], a: number, b: number): boolean {
  if (idom[b] === -1 || idom[a] === -1) return false;
  for (let x = b; ; x = idom[x]!) {
    if (x === a) return true;
    if (idom[x] === x) return false;
  }
}

/**
 * Constant-time dominance: preorder entry and exit numbers of each block in its dominator tree
 * (a dominates b iff a's interval holds b's). -1 for blocks their entry does not reach.
 */
export function dominanceIntervals(idom: readonly number[]): { pre: Int32Array; post: Int32Array } {
  const n = idom.length;
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let b = 0; b < n; b++) if (idom[b] !== -1 && idom[b] !== b) children[idom[b]!]!.push(b);
  const mem = slotArrays(idom);
  const pre = mem.int32(n).fill(-1);
  const post = mem.int32(n).fill(-1);
  let clock = 0;
  for (let root = 0; root < n; root++) {
    if (idom[root] !== root) continue;
    const stack: [number, number][] = [[root, 0]];
    pre[root] = clock++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = children[top[0]]!;
      if (top[1] < kids.length) {
        const c = kids[top[1]++]!;
        pre[c] = clock++;
        stack.push([c, 0]);
      } else {
        post[top[0]] = clock++;
        stack.pop();
      }
    }
  }
  return { pre, post };
}
