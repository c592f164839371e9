// Static register liveness (the kernel computes the same since 6.x: "Live regs before insn"):
// for every slot, the registers some path from it reads before writing. Pruning compares only
// live registers, so a dead scalar that differs does not keep a path alive.

import type { Cfg } from '../cfg/index.js';
import { slotArrays } from '../cfg/slot-arrays.js';
import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { HELPER_PROTOS } from '../uapi/helper-protos.js';

const bit = (r: number): number => 1 << r;
const ARGS = 0b111110; // r1-r5
/** r0-r5: what a call writes. */
export const CLOBBERED = 0b111111;
const ALL = 0x7ff; // r0-r10

/** The registers an instruction reads (a call: its arguments). */
function uses(i: Instruction, k: Kind): number {
  switch (k.kind) {
    case 'alu':
      if (k.op === 'mov' || k.op === 'movsx') return k.reg ? bit(i.src) : 0;
      return bit(i.dst) | (k.reg ? bit(i.src) : 0);
    case 'endian':
      return bit(i.dst);
    case 'lddw':
    case 'ja':
      return 0;
    case 'load':
      return bit(i.src);
    case 'store':
    case 'jmp':
      return bit(i.dst) | (k.reg ? bit(i.src) : 0);
    case 'atomic':
      return bit(i.dst) | bit(i.src) | (k.op === 'cmpxchg' ? bit(0) : 0);
    case 'exit':
      return bit(0);
    case 'call': {
      const proto = k.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
      return proto === undefined ? ARGS : ((1 << (proto.args.length + 1)) - 1) & ARGS;
    }
    case 'callx':
      return ARGS | bit(i.dst);
    case 'ldpkt':
      // The kernel's compute_insn_live_regs keeps its defaults for legacy packet loads: every
      // register read, none written (such a load may end the program).
      return ALL;
    default:
      return assertNever(k, 'instruction kind');
  }
}

/** The registers an instruction writes (a call: r0-r5; a legacy packet load: none, see uses). */
export function defs(i: Instruction, k: Kind): number {
  switch (k.kind) {
    case 'alu':
    case 'endian':
    case 'lddw':
    case 'load':
      return bit(i.dst);
    case 'atomic':
      return k.fetch ? bit(k.op === 'cmpxchg' ? 0 : i.src) : 0;
    case 'call':
    case 'callx':
      return CLOBBERED;
    case 'store':
    case 'jmp':
    case 'ja':
    case 'exit':
    case 'ldpkt':
      return 0;
    default:
      return assertNever(k, 'instruction kind');
  }
}

/** Live-in register masks by slot (bit r: r is read before written on some path from the slot). */
export function liveRegisters(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
): Int32Array {
  // Per slot, as masks (-1 in `use`: no instruction there, an lddw's second slot).
  const mem = slotArrays(cfg);
  const use = mem.int32(cfg.slots).fill(-1);
  const def = mem.int32(cfg.slots);
  for (let pc = 0; pc < cfg.slots; pc++) {
    const i = at[pc];
    const k = kinds[pc];
    if (i === undefined || k === undefined) continue;
    use[pc] = uses(i, k);
    def[pc] = defs(i, k);
  }
  return solveBackward(cfg, (pc, out) => {
    const u = use[pc]!;
    return u === -1 ? undefined : (out & ~def[pc]!) | u;
  });
}

/** No blocks (a block entered by no call). */
const NONE: readonly number[] = [];

/**
 * A backward dataflow over register masks to its fixpoint: `transfer(pc, out, before)` gives the
 * mask before the instruction at pc from the mask after it (undefined: no instruction, e.g. an
 * lddw's second slot); it may read `before` at a callee's entry (at the call), which the solver
 * follows too. The result is the mask before every slot.
 */
export function solveBackward(
  cfg: Cfg,
  transfer: (pc: number, out: number, before: Int32Array) => number | undefined,
): Int32Array {
  const mem = slotArrays(cfg);
  const before = mem.int32(cfg.slots);
  const blocks = cfg.blocks;
  // A worklist of blocks, swept in reverse order: a block runs again only when the entry of a
  // successor, or of a subprogram one of its calls enters, has changed since it last ran. A
  // program whose edges all go forward (calls to later subprograms too) runs each block once.
  const dirty = mem.uint8(blocks.length).fill(1);
  /** Each block's entry mask when it last ran (what the blocks that read it have read). */
  const seen = mem.int32(blocks.length);
  /** The blocks with a call, by the entry block of the subprogram it calls. */
  const callers = new Map<number, number[]>();
  for (const c of cfg.calls) {
    const entry = cfg.subprograms[c.callee]!.entry;
    const list = callers.get(entry);
    if (list === undefined) callers.set(entry, [c.block]);
    else list.push(c.block);
  }
  let pending = true;
  while (pending) {
    pending = false;
    for (let b = blocks.length - 1; b >= 0; b--) {
      if (dirty[b] === 0) continue;
      dirty[b] = 0;
      const block = blocks[b]!;
      let out = 0;
      for (const s of block.successors) out |= before[blocks[s]!.start]!;
      for (let pc = block.last; pc >= block.start; pc--) {
        const inn = transfer(pc, out, before);
        if (inn === undefined) continue;
        before[pc] = inn;
        out = inn;
      }
      if (before[block.start] === seen[b]) continue;
      seen[b] = before[block.start]!;
      // The readers of the block's entry run again: later in this sweep, or in another sweep
      // for one at or after it.
      for (const readers of [block.predecessors, callers.get(b) ?? NONE])
        for (const p of readers) {
          dirty[p] = 1;
          if (p >= b) pending = true;
        }
    }
  }
  return before;
}
