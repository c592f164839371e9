// Structured control flow from the CFG (cfg/): for a reducible subprogram, nested Wasm blocks
// and loops by the dominator-tree method of N. Ramsey, "Beyond Relooper" (ICFP 2022): a loop
// header opens a `loop`, each merge child of a node in the dominator tree gets a `block` that
// ends just before it, forward edges to merge nodes branch out of blocks, back edges branch to
// loops, and a block with a single forward predecessor is emitted inline. A retreating edge to
// a block that does not dominate its source makes the subprogram irreducible: `structure`
// reports it and the caller emits a dispatcher loop instead (dispatch.ts).

import { type Block, type Cfg, dominates, reversePostorder, type Subprogram } from '../cfg/index.js';
import type { FunctionBuilder, Label } from './wasm/index.js';

/** What the emitter does for one block; `branch(to)` emits the control transfer to block `to`. */
export interface BlockEmitter {
  /** The block's instructions up to (not including) its terminator's control transfer. */
  body(block: Block): void;
  /** The terminator: calls `branch` for each way out (inside conditionals it emits). */
  terminator(block: Block, branch: (to: number) => void): void;
}

/**
 * The first retreating edge whose target does not dominate its source, if any. `rpo` is the
 * subprogram's reverse postorder when the caller has it (structure() takes the same).
 */
export function irreducibleEdge(
  cfg: Cfg,
  sub: Subprogram,
  rpo: readonly number[] = reversePostorder(cfg.blocks, sub.entry),
): { from: number; to: number } | undefined {
  // Indexed by block id, as in structure(): every successor of a block in rpo is in rpo.
  const order = new Int32Array(cfg.blocks.length);
  for (let k = 0; k < rpo.length; k++) order[rpo[k]!] = k;
  for (const b of rpo)
    for (const s of cfg.blocks[b]!.successors)
      if (order[s]! <= order[b]! && !dominates(cfg.idom, s, b)) return { from: b, to: s };
  return undefined;
}

type Context = { readonly kind: 'loop' | 'follow'; readonly block: number; readonly label: Label };

/** Emits a reducible subprogram's blocks into `f` as nested blocks and loops. */
export function structure(
  cfg: Cfg,
  sub: Subprogram,
  f: FunctionBuilder,
  emit: BlockEmitter,
  rpo: readonly number[] = reversePostorder(cfg.blocks, sub.entry),
): void {
  // Indexed by block id (arrays, not maps: this runs once per load, mostly unoptimized).
  const order = new Int32Array(cfg.blocks.length).fill(-1);
  for (let k = 0; k < rpo.length; k++) order[rpo[k]!] = k;
  const children: number[][] = [];
  for (const b of rpo) children[b] = [];
  for (const b of rpo) if (b !== sub.entry) children[cfg.idom[b]!]!.push(b);
  // A merge has two or more forward predecessors; a loop header has a retreating one.
  const merge = new Uint8Array(cfg.blocks.length);
  const header = new Uint8Array(cfg.blocks.length);
  for (const b of rpo) {
    let forward = 0;
    for (const p of cfg.blocks[b]!.predecessors) {
      if (order[p]! < 0) continue;
      if (order[p]! < order[b]!) forward++;
      else header[b] = 1;
    }
    if (forward >= 2) merge[b] = 1;
  }
  const isMerge = (b: number) => merge[b] === 1;
  const isLoopHeader = (b: number) => header[b] === 1;
  const ctx: Context[] = [];

  const branch = (from: number, to: number) => {
    if (order[to]! <= order[from]!) {
      f.br(find('loop', to));
    } else if (isMerge(to)) {
      f.br(find('follow', to));
    } else doTree(to);
  };
  const find = (kind: Context['kind'], block: number): Label => {
    for (let k = ctx.length - 1; k >= 0; k--)
      if (ctx[k]!.kind === kind && ctx[k]!.block === block) return ctx[k]!.label;
    throw new RangeError(`structure: no enclosing ${kind} for block ${block}`);
  };
  const doTree = (x: number): void => {
    // Merge children, the one latest in reverse postorder outermost (its code comes last).
    // A loop and a sort only where needed: most blocks have no merge child.
    const merges: number[] = [];
    for (const c of children[x]!) if (isMerge(c)) merges.push(c);
    if (merges.length > 1) merges.sort((a, b) => order[b]! - order[a]!);
    if (isLoopHeader(x)) {
      const label = f.loop();
      ctx.push({ kind: 'loop', block: x, label });
      nodeWithin(x, merges, 0);
      ctx.pop();
      f.end(label);
    } else nodeWithin(x, merges, 0);
  };
  /** Emits x within a block for each of merges[from..] (by index: no rest copy per level). */
  const nodeWithin = (x: number, merges: readonly number[], from: number): void => {
    if (from === merges.length) {
      const block = cfg.blocks[x]!;
      emit.body(block);
      emit.terminator(block, (to) => branch(x, to));
      return;
    }
    const y = merges[from]!;
    const label = f.block();
    ctx.push({ kind: 'follow', block: y, label });
    nodeWithin(x, merges, from + 1);
    ctx.pop();
    f.end(label);
    doTree(y);
  };
  doTree(sub.entry);
}
