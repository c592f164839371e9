// The control-flow graph as plain data: basic blocks over 8-byte slots (the pc unit; an lddw's
// two slots sit in one block), their edges, subprograms, call and callback edges, tail-call
// sites, exits, dominators, back edges and natural loops. Every array is sorted ascending, so
// equal programs give deep-equal graphs. Built by buildCfg (build.ts); nothing here executes.

import type { Transfer } from './flow.js';

export interface Block {
  /** Index in Cfg.blocks; blocks are numbered in slot order. */
  readonly id: number;
  /** First slot. */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  /** Slot of the last instruction (end - 2 when it is an lddw). */
  readonly last: number;
  readonly subprogram: number;
  /** How the last instruction leaves the block ('next': it falls into the next block). */
  readonly transfer: Transfer;
  /** Blocks control may go to next within the subprogram (calls return to the same block). */
  readonly successors: readonly number[];
  readonly predecessors: readonly number[];
  /** The block calls bpf_tail_call: a run may leave the program from here. */
  readonly tailCall: boolean;
  /** The program's entry reaches it (through calls and callbacks too). */
  readonly reachable: boolean;
}

export interface Subprogram {
  readonly index: number;
  /** First slot: 0, or the target of a local call or a function-address lddw. */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  /** Its entry block. */
  readonly entry: number;
  /** Its blocks, ascending. */
  readonly blocks: readonly number[];
  /** Subprograms it calls directly (`call` src=1). */
  readonly callees: readonly number[];
  /** Subprograms whose address it loads (`lddw` src=4): callbacks of bpf_loop, timers, ... */
  readonly callbacks: readonly number[];
}

/** A `call` (local) or `lddw src=4` (callback) site and the subprogram it names. */
export interface CallSite {
  readonly pc: number;
  readonly block: number;
  readonly callee: number;
}

export interface Edge {
  readonly from: number;
  readonly to: number;
}

/** A natural loop: the header and every block that reaches a latch without passing the header. */
export interface Loop {
  readonly header: number;
  /** Sources of the back edges into the header. */
  readonly latches: readonly number[];
  /** Header included. */
  readonly blocks: readonly number[];
  readonly subprogram: number;
}

export interface Cfg {
  /** Slots in the program. */
  readonly slots: number;
  readonly blocks: readonly Block[];
  /** Block of every slot (both slots of an lddw are in its block). */
  readonly blockOf: readonly number[];
  readonly subprograms: readonly Subprogram[];
  /** Local calls, by pc. */
  readonly calls: readonly CallSite[];
  /** Function addresses loaded for callbacks, by pc. */
  readonly callbacks: readonly CallSite[];
  /** `callx` sites (targets unknown until run time). */
  readonly indirectCalls: readonly number[];
  /** bpf_tail_call sites. */
  readonly tailCalls: readonly number[];
  readonly exits: readonly number[];
  /**
   * Immediate dominator of each block within its subprogram; a subprogram's entry is its own,
   * and a block its subprogram's entry does not reach has -1.
   */
  readonly idom: readonly number[];
  /** Edges whose target dominates their source, by source then target. */
  readonly backEdges: readonly Edge[];
  /** One per loop header, by header. */
  readonly loops: readonly Loop[];
  /** Slots of instructions the entry never reaches (empty unless allowed, see buildCfg). */
  readonly unreachable: readonly number[];
}
