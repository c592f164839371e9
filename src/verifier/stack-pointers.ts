// Which registers hold a pointer to the stack at a constant offset from r10, by slot: a forward
// constant propagation over the CFG, for the static stack liveness (stack-liveness.ts) to see
// the accesses through a copy of r10 (`r2 = r10; r2 += -16; call bpf_map_lookup_elem`). It also
// keeps the map an lddw loaded and small constants, so a helper's memory argument gets its size
// (the map's key or value size, a constant size argument). Every path of the CFG counts, feasible
// or not, so a register is an exact stack pointer only when it is one on all paths.

import type { Cfg } from '../cfg/index.js';
import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';

/** What a register holds, as far as the stack is concerned. */
export type StackValue =
  | { readonly t: 'fp'; readonly off: number } // r10 + off
  | { readonly t: 'some-fp' } // a stack pointer at an offset not known here
  | { readonly t: 'map'; readonly name: string } // lddw of a map
  | { readonly t: 'const'; readonly n: number } // a non-negative constant
  | { readonly t: 'other' }; // anything else: no stack pointer on any path

export const OTHER: StackValue = { t: 'other' };
export const SOME_FP: StackValue = { t: 'some-fp' };
const FP0: StackValue = { t: 'fp', off: 0 };
const FP = 10;

/** The register may point into the stack. */
export const isStack = (v: StackValue): boolean => v.t === 'fp' || v.t === 'some-fp';

function same(a: StackValue, b: StackValue): boolean {
  if (a === b) return true;
  switch (a.t) {
    case 'fp':
      return b.t === 'fp' && a.off === b.off;
    case 'map':
      return b.t === 'map' && a.name === b.name;
    case 'const':
      return b.t === 'const' && a.n === b.n;
    case 'some-fp':
    case 'other':
      return a.t === b.t;
  }
}

function join(a: StackValue, b: StackValue): StackValue {
  if (same(a, b)) return a;
  return isStack(a) || isStack(b) ? SOME_FP : OTHER;
}

/** The register's value after an ALU instruction. */
function alu(regs: readonly StackValue[], i: Instruction, k: Kind & { kind: 'alu' }): StackValue {
  const dst = regs[i.dst]!;
  const src = k.reg ? regs[i.src]! : undefined;
  if (k.op === 'mov' || k.op === 'movsx') {
    if (src === undefined) return i.imm >= 0 ? { t: 'const', n: i.imm } : OTHER;
    if (k.alu64 && k.op === 'mov') return src;
    return isStack(src) ? SOME_FP : OTHER;
  }
  if (dst.t === 'fp' && k.alu64 && (k.op === 'add' || k.op === 'sub')) {
    const by = src === undefined ? i.imm : src.t === 'const' ? src.n : undefined;
    if (by !== undefined) return { t: 'fp', off: k.op === 'add' ? dst.off + by : dst.off - by };
  }
  return isStack(dst) || (src !== undefined && isStack(src)) ? SOME_FP : OTHER;
}

/** The registers after the instruction, from those before it (a new array when anything changes). */
function transfer(regs: StackValue[], i: Instruction, k: Kind): StackValue[] {
  const set = (r: number, v: StackValue) => {
    if (regs[r] === v) return regs;
    const out = regs.slice();
    out[r] = v;
    return out;
  };
  switch (k.kind) {
    case 'alu':
      return set(i.dst, alu(regs, i, k));
    case 'endian':
      return set(i.dst, isStack(regs[i.dst]!) ? SOME_FP : OTHER);
    case 'lddw':
      return set(
        i.dst,
        (k.pseudo === 1 || k.pseudo === 5) && i.reference !== undefined
          ? { t: 'map', name: i.reference }
          : OTHER,
      );
    case 'load':
      return set(i.dst, OTHER);
    case 'atomic':
      return k.fetch ? set(k.op === 'cmpxchg' ? 0 : i.src, OTHER) : regs;
    case 'call':
    case 'callx':
    case 'ldpkt': {
      const out = regs.slice();
      for (let r = 0; r <= 5; r++) out[r] = OTHER;
      return out;
    }
    case 'store':
    case 'jmp':
    case 'ja':
    case 'exit':
      return regs;
    default:
      return assertNever(k, 'instruction kind');
  }
}

/**
 * The registers before every reachable instruction (undefined for the others and for an lddw's
 * second slot). The entry holds r10 = fp+0 and no stack pointer elsewhere.
 */
export function stackPointers(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
): (readonly StackValue[] | undefined)[] {
  const blockIn: (StackValue[] | undefined)[] = new Array(cfg.blocks.length);
  const entry = new Array<StackValue>(11).fill(OTHER);
  entry[FP] = FP0;
  blockIn[cfg.subprograms[0]?.entry ?? 0] = entry;
  const before: (StackValue[] | undefined)[] = new Array(cfg.slots);
  let changed = true;
  while (changed) {
    changed = false;
    for (const block of cfg.blocks) {
      let regs = blockIn[block.id];
      if (regs === undefined) continue;
      for (let pc = block.start; pc <= block.last; pc++) {
        const i = at[pc];
        const k = kinds[pc];
        if (i === undefined || k === undefined) continue;
        before[pc] = regs;
        regs = transfer(regs, i, k);
      }
      for (const s of block.successors) {
        const old = blockIn[s];
        const merged = old === undefined ? regs : old.map((v, r) => join(v, regs[r]!));
        if (old === undefined || merged.some((v, r) => v !== old[r])) {
          blockIn[s] = merged;
          changed = true;
        }
      }
    }
  }
  return before;
}
