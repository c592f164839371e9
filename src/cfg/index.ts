// The control-flow graph (layer 2): basic blocks, edges, subprograms, call/callback/tail-call
// sites, dominators and loops of a program's instructions, and the kernel's structural checks.
// Pure data in, data out: nothing here executes a program.
export { buildCfg, type CfgOptions } from './build.js';
export { dominates, reversePostorder } from './dominators.js';
export { isTailCall, TAIL_CALL_HELPER, type Transfer, transferOf } from './flow.js';
export { type Layout, layout } from './layout.js';
export { forwardOnly } from './loops.js';
export { rejected } from './reject.js';
export type { Block, CallSite, Cfg, Edge, Loop, Subprogram } from './types.js';
