// Static stack-slot liveness, for programs that only reach their stack through r10 itself
// (`*(u64 *)(r10 - 8) = r1`, `r1 = *(u32 *)(r10 - 4)`): a slot is live at a slot of the program
// when some path from there reads one of its bytes before an 8-byte store overwrites it whole.
// Pruning then ignores dead slots, as the kernel's stack liveness does (6.18: compute_live_registers
// and the stack read marks of kernel/bpf/liveness.c; before it REG_LIVE_READ on spilled slots).
// A program that copies r10 (a stack pointer passed to a helper, kept in a register, compared) or
// has bpf-to-bpf calls or callbacks may read any slot through that pointer: for it there is no
// answer here and every slot is compared, as before.

import type { Cfg } from '../cfg/index.js';
import type { Instruction, Kind } from '../isa/index.js';
import { solveBackward } from './liveness.js';
import { SLOTS } from './state.js';

const FP = 10;

/** The instruction reads r10 as a value (not as the base of an access with a constant offset). */
function copiesFp(i: Instruction, k: Kind): boolean {
  switch (k.kind) {
    case 'alu':
    case 'store':
      return k.reg && i.src === FP;
    case 'atomic':
      return i.src === FP;
    case 'jmp':
      return i.dst === FP || (k.reg && i.src === FP);
    case 'callx':
    case 'endian':
      return i.dst === FP;
    default:
      return false;
  }
}

/** Slots k (bytes [-(k+1)·8, -k·8)) that an access of `size` bytes at r10 + off touches, as a range. */
function slotsOf(off: number, size: number): [number, number] | undefined {
  const first = Math.floor((-(off + size - 1) - 1) / 8);
  const last = Math.floor((-off - 1) / 8);
  if (first < 0 || last >= SLOTS) return undefined;
  return [first, last];
}

function maskOf(range: [number, number] | undefined, base: number): number {
  if (range === undefined) return 0;
  let m = 0;
  for (let k = range[0]; k <= range[1]; k++) if (k >= base && k < base + 32) m |= 1 << (k - base);
  return m;
}

/**
 * Live slots by program slot, as two masks (slots 0-31 and 32-63), or undefined when the program
 * reaches its stack other than through r10 with constant offsets.
 */
export function liveStackSlots(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
): { readonly lo: Int32Array; readonly hi: Int32Array } | undefined {
  if (cfg.calls.length > 0 || cfg.callbacks.length > 0 || cfg.subprograms.length > 1) return undefined;
  for (let pc = 0; pc < cfg.slots; pc++) {
    const i = at[pc];
    const k = kinds[pc];
    if (i !== undefined && k !== undefined && copiesFp(i, k)) return undefined;
  }
  const solve = (base: number) =>
    solveBackward(cfg, (pc, out) => {
      const i = at[pc];
      const k = kinds[pc];
      if (i === undefined || k === undefined) return undefined;
      if (k.kind === 'load' && i.src === FP) return out | maskOf(slotsOf(i.off, k.bytes), base);
      if (k.kind === 'atomic' && i.dst === FP) return out | maskOf(slotsOf(i.off, k.bytes), base);
      if (k.kind === 'store' && i.dst === FP && k.bytes === 8 && i.off % 8 === 0)
        return out & ~maskOf(slotsOf(i.off, 8), base);
      if (k.kind === 'exit') return 0;
      return out;
    });
  return { lo: solve(0), hi: solve(32) };
}
