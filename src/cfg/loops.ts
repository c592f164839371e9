// Back edges and natural loops: an edge whose target dominates its source closes a loop; the
// loop is the header plus every block that reaches one of its latches without passing the
// header. Loops sharing a header are one loop. (Retreating edges into a header that does not
// dominate them — irreducible flow — are not back edges and make no loop here.)

import { dominanceIntervals } from './dominators.js';
import type { Block, Edge, Loop } from './types.js';

/** Every edge goes to a later block (blocks are numbered in slot order): no cycle, no loop. */
export function forwardOnly(blocks: readonly Block[]): boolean {
  for (const b of blocks) for (const s of b.successors) if (s <= b.id) return false;
  return true;
}

export function backEdges(blocks: readonly Block[], idom: readonly number[]): Edge[] {
  if (forwardOnly(blocks)) return [];
  // Interval checks, not walks up the tree: a deep tree would make those quadratic.
  const { pre, post } = dominanceIntervals(idom);
  const dom = (a: number, b: number) =>
    pre[a]! !== -1 && pre[b]! !== -1 && pre[a]! <= pre[b]! && post[b]! <= post[a]!;
  const out: Edge[] = [];
  for (const b of blocks) for (const s of b.successors) if (dom(s, b.id)) out.push({ from: b.id, to: s });
  return out;
}

/** Natural loops of `edges` (back edges); blocks the entry does not reach stay out of them. */
export function naturalLoops(
  blocks: readonly Block[],
  idom: readonly number[],
  edges: readonly Edge[],
): Loop[] {
  const byHeader = new Map<number, { latches: number[]; body: Set<number> }>();
  for (const e of edges) {
    let loop = byHeader.get(e.to);
    if (loop === undefined) {
      loop = { latches: [], body: new Set([e.to]) };
      byHeader.set(e.to, loop);
    }
    loop.latches.push(e.from);
    const work = [e.from];
    while (work.length > 0) {
      const b = work.pop()!;
      if (loop.body.has(b) || idom[b] === -1) continue;
      loop.body.add(b);
      work.push(...blocks[b]!.predecessors);
    }
  }
  return [...byHeader.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([header, { latches, body }]) => ({
      header,
      latches: [...latches].sort((a, b) => a - b),
      blocks: [...body].sort((a, b) => a - b),
      subprogram: blocks[header]!.subprogram,
    }));
}
