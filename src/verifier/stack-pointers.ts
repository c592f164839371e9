// Which registers hold a pointer to the stack at a constant offset from r10, by slot: a forward
// constant propagation over the CFG, for the static stack liveness (stack-liveness.ts) to see
// the accesses through a copy of r10 (`r2 = r10; r2 += -16; call bpf_map_lookup_elem`). It also
// keeps the map an lddw loaded and small constants, so a helper's memory argument gets its size
// (the map's key or value size, a constant size argument), the function whose address an lddw
// loaded (a callback), and, in a subprogram, what derives from its arguments at a constant offset
// (a pointer its caller passed into its own frame: callee-reads.ts). Every path of the CFG
// counts, feasible or not, so a register is an exact stack pointer only when it is one on all
// paths.

import { type Cfg, forwardOnly } from '../cfg/index.js';
import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { HELPER_PROTOS } from '../uapi/helper-protos.js';
import { invokesCallback } from './calls.js';

/** What a register holds, as far as the stack is concerned. */
export type StackValue =
  | { readonly t: 'fp'; readonly off: number } // r10 + off
  | { readonly t: 'some-fp' } // a stack pointer at an offset not known here
  | { readonly t: 'map'; readonly name: string } // lddw of a map
  | { readonly t: 'const'; readonly n: number } // a non-negative constant
  | { readonly t: 'func'; readonly subprogram: number } // lddw of a function's address
  | { readonly t: 'arg'; readonly reg: number; readonly off: number } // argument `reg` at entry + off
  | { readonly t: 'some-arg' } // derived from an argument at an offset not known here
  | { readonly t: 'any' } // a stack pointer of this frame or derived from an argument
  | { readonly t: 'other' }; // anything else: no stack pointer on any path

/**
 * Every value is made here, with the fields of every variant (0 or '' where not its own): one
 * object shape, so the passes that read them stay monomorphic.
 */
function made(t: StackValue['t'], off = 0, reg = 0, n = 0, name = '', subprogram = 0): StackValue {
  return { t, off, reg, n, name, subprogram } as StackValue;
}
const fpAt = (off: number): StackValue => made('fp', off);
const argAt = (reg: number, off: number): StackValue => made('arg', off, reg);
const constant = (n: number): StackValue => made('const', 0, 0, n);
const mapNamed = (name: string): StackValue => made('map', 0, 0, 0, name);
const funcAt = (subprogram: number): StackValue => made('func', 0, 0, 0, '', subprogram);

const OTHER: StackValue = made('other');
const SOME_FP: StackValue = made('some-fp');
const SOME_ARG: StackValue = made('some-arg');
const ANY: StackValue = made('any');
const FP0: StackValue = fpAt(0);
const FP = 10;
/**
 * The state: r0-r10, then (when followed) the frame's 64 slots as spilled (slot k: bytes
 * [-(k+1)·8, -k·8)).
 */
const SLOT0 = 11;
const ARGS: readonly StackValue[] = [1, 2, 3, 4, 5].map((reg) => argAt(reg, 0));

/** The register may point into this frame's stack. */
export const isStack = (v: StackValue): boolean => v.t === 'fp' || v.t === 'some-fp' || v.t === 'any';

/** The register may derive from an argument of the subprogram (a pointer into a caller's frame). */
export const isArg = (v: StackValue): boolean => v.t === 'arg' || v.t === 'some-arg' || v.t === 'any';

/** A value computed from `v` otherwise than at a constant offset. */
function derived(v: StackValue): StackValue {
  if (isStack(v)) return isArg(v) ? ANY : SOME_FP;
  return isArg(v) ? SOME_ARG : OTHER;
}

function same(a: StackValue, b: StackValue): boolean {
  if (a === b) return true;
  switch (a.t) {
    case 'fp':
      return b.t === 'fp' && a.off === b.off;
    case 'map':
      return b.t === 'map' && a.name === b.name;
    case 'const':
      return b.t === 'const' && a.n === b.n;
    case 'func':
      return b.t === 'func' && a.subprogram === b.subprogram;
    case 'arg':
      return b.t === 'arg' && a.reg === b.reg && a.off === b.off;
    case 'some-fp':
    case 'some-arg':
    case 'any':
    case 'other':
      return a.t === b.t;
  }
}

function join(a: StackValue, b: StackValue): StackValue {
  if (same(a, b)) return a;
  const stack = isStack(a) || isStack(b);
  const arg = isArg(a) || isArg(b);
  if (stack) return arg ? ANY : SOME_FP;
  return arg ? SOME_ARG : OTHER;
}

/** The register's value after an ALU instruction. */
function alu(regs: readonly StackValue[], i: Instruction, k: Kind & { kind: 'alu' }): StackValue {
  const dst = regs[i.dst]!;
  const src = k.reg ? regs[i.src]! : undefined;
  if (k.op === 'mov' || k.op === 'movsx') {
    if (src === undefined) return i.imm >= 0 ? constant(i.imm) : OTHER;
    if (k.alu64 && k.op === 'mov') return src;
    return derived(src);
  }
  if ((dst.t === 'fp' || dst.t === 'arg') && k.alu64 && (k.op === 'add' || k.op === 'sub')) {
    const by = src === undefined ? i.imm : src.t === 'const' ? src.n : undefined;
    const off = by === undefined ? undefined : k.op === 'add' ? dst.off + by : dst.off - by;
    if (off !== undefined) return dst.t === 'fp' ? fpAt(off) : argAt(dst.reg, off);
  }
  return src === undefined ? derived(dst) : join(derived(dst), derived(src));
}

/** The slot an 8-byte access at r10 + off is, when it is one whole slot of the frame. */
const wholeSlot = (off: number): number | undefined =>
  off % 8 === 0 && off < 0 && off >= -512 ? -off / 8 - 1 : undefined;

/** Slots possibly overwritten with something else: a pointer there may be gone, or still there. */
function clobber(state: StackValue[], first = 0, last = 63): void {
  if (state.length === SLOT0) return; // slots not followed
  for (let k = first; k <= last; k++) state[SLOT0 + k] = derived(state[SLOT0 + k]!);
}

/** A write of `bytes` at `base` + off: a whole slot gets `v`, other bytes make theirs unsure. */
function write(state: StackValue[], base: StackValue, off: number, bytes: number, v: StackValue): void {
  if (state.length === SLOT0) return;
  if (base.t !== 'fp') {
    if (isStack(base)) clobber(state);
    return;
  }
  const at = base.off + off;
  const slot = bytes === 8 ? wholeSlot(at) : undefined;
  if (slot !== undefined) {
    state[SLOT0 + slot] = isStack(v) || isArg(v) ? v : OTHER;
    return;
  }
  const first = Math.max(0, Math.floor((-(at + bytes - 1) - 1) / 8));
  const last = Math.min(63, Math.floor((-at - 1) / 8));
  if (first <= last) clobber(state, first, last);
}

/** What an 8-byte load at `base` + off gives back: a spilled stack pointer, or other. */
function fill(state: readonly StackValue[], base: StackValue, off: number, bytes: number): StackValue {
  if (state.length === SLOT0) return OTHER;
  if (base.t === 'fp') {
    const slot = bytes === 8 ? wholeSlot(base.off + off) : undefined;
    return slot === undefined ? OTHER : state[SLOT0 + slot]!;
  }
  if (!isStack(base)) return OTHER;
  // A slot not known: any pointer spilled in the frame, at an offset not known.
  let v = OTHER;
  for (let k = 0; k < 64; k++) v = join(v, derived(state[SLOT0 + k]!));
  return v;
}

/** Helpers that write into memory they are given (so into the stack, where it is a stack pointer). */
const WRITES = new Set(['uninit-mem', 'uninit-value', 'uninit-dynptr-local', 'uninit-dynptr-ringbuf']);

/** Steps `regs` (in place) over the instruction. */
function transfer(regs: StackValue[], i: Instruction, k: Kind): void {
  switch (k.kind) {
    case 'alu':
      regs[i.dst] = alu(regs, i, k);
      return;
    case 'endian':
      regs[i.dst] = derived(regs[i.dst]!);
      return;
    case 'lddw':
      regs[i.dst] =
        (k.pseudo === 1 || k.pseudo === 5) && i.reference !== undefined ? mapNamed(i.reference) : OTHER;
      return;
    case 'load':
      regs[i.dst] = fill(regs, regs[i.src]!, i.off, k.bytes);
      return;
    case 'atomic':
      write(regs, regs[i.dst]!, i.off, 1, OTHER);
      if (k.fetch) regs[k.op === 'cmpxchg' ? 0 : i.src] = OTHER;
      return;
    case 'call':
    case 'callx':
    case 'ldpkt': {
      // A callee, a callback or a helper that writes may overwrite the frame it gets a pointer into.
      const proto = k.kind === 'call' && k.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
      const writes =
        proto === undefined ||
        invokesCallback(i, k) ||
        proto.args.some((a) => (typeof a === 'object' ? a.write === true : WRITES.has(a)));
      if (writes && [1, 2, 3, 4, 5].some((r) => isStack(regs[r]!))) clobber(regs);
      for (let r = 0; r <= 5; r++) regs[r] = OTHER;
      return;
    }
    case 'store':
      write(regs, regs[i.dst]!, i.off, k.bytes, k.reg ? regs[i.src]! : OTHER);
      return;
    case 'jmp':
    case 'ja':
    case 'exit':
      return;
    default:
      assertNever(k, 'instruction kind');
  }
}

/**
 * Calls `visit` with the registers before every reachable instruction (the array is reused:
 * read it during the call only), once the values have reached their fixpoint; stops early when
 * `visit` returns false (and then returns false). Each subprogram's entry holds r10 = fp+0 and
 * no stack pointer elsewhere. `slots`: follow stack pointers spilled to the frame's slots (a
 * fill gives them back); without, a fill gives no pointer, which holds for a program that spills
 * none.
 */
export function forEachStackState(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  visit: (pc: number, i: Instruction, k: Kind, regs: readonly StackValue[]) => boolean,
  pointerParams?: Int32Array,
  slots = false,
): boolean {
  const STATE = slots ? SLOT0 + 64 : SLOT0;
  const blockIn: (StackValue[] | undefined)[] = new Array(cfg.blocks.length);
  const dirty = new Uint8Array(cfg.blocks.length);
  // Every subprogram from its own entry, r10 its own frame; a callee's or a callback's r1-r5 are
  // its arguments (pointers into a caller's frame among them, no stack pointer of its own): all
  // of them, or those `pointerParams` (bits per subprogram) says a caller may point with.
  const entries = cfg.subprograms.length === 0 ? [0] : cfg.subprograms.map((s) => s.entry);
  entries.forEach((e, n) => {
    const entry = new Array<StackValue>(STATE).fill(OTHER);
    entry[FP] = FP0;
    const params = n === 0 ? 0 : (pointerParams?.[n] ?? 0b111110);
    for (let r = 1; r <= 5; r++) if (((params >> r) & 1) !== 0) entry[r] = ARGS[r - 1]!;
    blockIn[e] = entry;
    dirty[e] = 1;
  });
  const funcs = new Map(cfg.callbacks.map((c) => [c.pc, c.callee]));
  const regs: StackValue[] = new Array(STATE);
  const run = (b: number, each: boolean): boolean => {
    const block = cfg.blocks[b]!;
    const inn = blockIn[b]!;
    for (let r = 0; r < STATE; r++) regs[r] = inn[r]!;
    for (let pc = block.start; pc <= block.last; pc++) {
      const i = at[pc];
      const k = kinds[pc];
      if (i === undefined || k === undefined) continue;
      if (each && !visit(pc, i, k, regs)) return false;
      transfer(regs, i, k);
      const func = k.kind === 'lddw' ? funcs.get(pc) : undefined;
      if (func !== undefined) regs[i.dst] = funcAt(func);
    }
    return true;
  };
  // With no edge to the same or an earlier block, a block's input is final once the blocks
  // before it ran: the values are visited in the one pass.
  const once = forwardOnly(cfg.blocks);
  for (let again = true; again; ) {
    again = false;
    for (let b = 0; b < cfg.blocks.length; b++) {
      if (dirty[b] === 0) continue;
      dirty[b] = 0;
      if (!run(b, once)) return false;
      for (const s of cfg.blocks[b]!.successors) {
        const old = blockIn[s];
        if (old === undefined) blockIn[s] = regs.slice();
        else {
          let changed = false;
          for (let r = 0; r < STATE; r++) {
            const v = join(old[r]!, regs[r]!);
            if (v !== old[r]) {
              old[r] = v;
              changed = true;
            }
          }
          if (!changed) continue;
        }
        dirty[s] = 1;
        if (s <= b) again = true;
      }
    }
  }
  if (once) return true;
  for (let b = 0; b < cfg.blocks.length; b++) if (blockIn[b] !== undefined && !run(b, true)) return false;
  return true;
}
