// Control flow that does not nest (an irreducible subprogram: a loop entered other than at its
// header) as a dispatcher: a local holds the next block's number, a `loop` around a `br_table`
// jumps to that block's code, and every edge sets the local and branches back to the loop.
// Slower than structure.ts's nesting (an indirect branch per edge), so only for subprograms
// irreducibleEdge finds; each block is emitted once, in reverse postorder.

import { type Cfg, reversePostorder, type Subprogram } from '../cfg/index.js';
import type { BlockEmitter } from './structure.js';
import { type FunctionBuilder, I32, type Label } from './wasm/index.js';

export function dispatch(cfg: Cfg, sub: Subprogram, f: FunctionBuilder, emit: BlockEmitter): void {
  const rpo = reversePostorder(cfg.blocks, sub.entry);
  const slot = new Int32Array(cfg.blocks.length).fill(-1);
  for (let k = 0; k < rpo.length; k++) slot[rpo[k]!] = k;
  const next = f.local(I32);
  f.i32(0).set(next); // the entry is first in reverse postorder
  const loop = f.loop();
  // Block k's code follows the end of the k-th label (innermost first): br_table picks k.
  const labels: Label[] = [];
  for (let k = rpo.length - 1; k >= 0; k--) labels[k] = f.block();
  f.get(next).brTable(labels, labels[0]!);
  const branch = (to: number) => {
    f.i32(slot[to]!).set(next).br(loop);
  };
  for (let k = 0; k < rpo.length; k++) {
    f.end(labels[k]!);
    const block = cfg.blocks[rpo[k]!]!;
    emit.body(block);
    emit.terminator(block, branch);
  }
  f.end(loop);
}
