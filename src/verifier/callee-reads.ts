// What a call reads of the frame it passes pointers into: for each subprogram, the bytes it (and
// whatever it calls) may read through each argument register, relative to the pointer the caller
// put there. Stack liveness (stack-liveness.ts) then takes a call that hands a callee or a callback
// a pointer into its frame as reading those slots, not the whole frame, as the kernel's own
// liveness (6.18, kernel/bpf/liveness.c) records a callee's reads of its caller's frame at the
// offsets it reads them. The reads are those through an argument at a constant offset
// (stack-pointers.ts: loads, atomics, helper memory arguments of a known size, and what a callee
// or callback it hands the pointer to reads, shifted); any other use of an argument that may be a
// pointer (an unknown offset, a kfunc, a helper with no known size) reads all of the frame it
// points into. Storing such a pointer anywhere gives no answer (the caller's liveness then gives
// none either), since a load could give it back unseen.

import type { Cfg } from '../cfg/index.js';
import type { Instruction, Kind } from '../isa/index.js';
import { CALLBACK_CTX_PARAM, invokesCallback } from './calls.js';
import { forEachStackState, isArg, isStack, type StackValue } from './stack-pointers.js';

/** Bytes reached relative to a pointer: [lo, hi) ranges, or everything. */
export interface Reach {
  all: boolean;
  ranges: [number, number][];
}

/** A callee's argument `param` gets the caller's argument `reg` moved by `off` (reads pass up). */
interface PassOn {
  readonly subprogram: number;
  readonly reg: number;
  readonly callee: number;
  readonly param: number;
  readonly off: number;
}

/** More ranges than this are kept as everything. */
const MAX_RANGES = 32;

/** The callee a call at `pc` reaches and the argument `reg` becomes there, or undefined: unknown. */
export interface CallTarget {
  readonly callee: number;
  readonly param: number;
}

/**
 * Where argument register `reg` of the call `i` goes: the same register of a bpf-to-bpf callee,
 * or a callback's context parameter; undefined where not known (then the callee may reach all).
 */
export function callTarget(
  cfg: Cfg,
  pc: number,
  i: Instruction,
  k: Kind,
  regs: readonly StackValue[],
  reg: number,
): CallTarget | undefined {
  if (k.kind !== 'call') return undefined;
  if (k.target === 'local') {
    const c = cfg.calls.find((x) => x.pc === pc);
    return c === undefined ? undefined : { callee: c.callee, param: reg };
  }
  if (!invokesCallback(i, k)) return undefined;
  // The helpers that invoke a callback take it in r2 and its context in r3.
  const param = CALLBACK_CTX_PARAM.get(i.imm);
  const func = regs[2]!;
  if (param === undefined || reg !== 3 || func.t !== 'func') return undefined;
  return { callee: func.subprogram, param };
}

/** Reach per subprogram and argument register (index 1-5). */
export type CalleeReads = readonly (readonly Reach[])[];

function add(r: Reach, lo: number, hi: number): void {
  if (r.all || hi <= lo) return;
  if (r.ranges.some(([a, b]) => a <= lo && hi <= b)) return;
  r.ranges.push([lo, hi]);
  if (r.ranges.length > MAX_RANGES) r.all = true;
}

/**
 * The parameters (bits 1-5, per subprogram) some call may pass a pointer into a stack in: this
 * frame's, or one a caller passed on. Only they are followed as arguments (calleeReads): a
 * callback's index or map, or a scalar argument, stored to memory is no pointer to lose.
 */
export function pointerParams(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  slots: boolean,
): Int32Array {
  const may = new Int32Array(cfg.subprograms.length);
  // (caller, its parameter) flows to (callee, parameter): bits of may pass along these.
  const flows: [number, number, number, number][] = [];
  const callbacks = new Set(cfg.callbacks.map((c) => c.callee));
  forEachStackState(
    cfg,
    at,
    kinds,
    (pc, i, k, regs) => {
      if (k.kind !== 'call' || !(k.target === 'local' || invokesCallback(i, k))) return true;
      const s = cfg.blocks[cfg.blockOf[pc]!]!.subprogram;
      for (let a = 1; a <= 5; a++) {
        const v = regs[a]!;
        if (!isStack(v) && !isArg(v)) continue;
        const to = callTarget(cfg, pc, i, k, regs, a);
        if (to === undefined) {
          // A callback not known here: every parameter of every callback.
          for (const c of callbacks) may[c]! |= 0b111110;
          continue;
        }
        if (isStack(v)) may[to.callee]! |= 1 << to.param;
        if (v.t === 'arg') flows.push([s, v.reg, to.callee, to.param]);
        else if (isArg(v)) for (let r = 1; r <= 5; r++) flows.push([s, r, to.callee, to.param]);
      }
      return true;
    },
    undefined,
    slots,
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (const [s, r, c, p] of flows)
      if (((may[s]! >> r) & 1) !== 0 && ((may[c]! >> p) & 1) === 0) {
        may[c]! |= 1 << p;
        changed = true;
      }
  }
  return may;
}

/** What each subprogram reads through its arguments (see above), or undefined: no answer. */
export function calleeReads(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  bytesOf: (i: Instruction, k: Kind, arg: number, regs: readonly StackValue[]) => number | undefined,
  params: Int32Array | undefined,
  slots: boolean,
): CalleeReads | undefined {
  const reach: Reach[][] = cfg.subprograms.map(() =>
    [0, 1, 2, 3, 4, 5].map(() => ({ all: false, ranges: [] as [number, number][] })),
  );
  const passOn: PassOn[] = [];
  const allOf = (s: number) => {
    for (const r of reach[s]!) r.all = true;
  };
  const read = (s: number, v: StackValue, lo: number, hi: number) => {
    if (v.t === 'arg') add(reach[s]![v.reg]!, v.off + lo, v.off + hi);
    else if (isArg(v)) allOf(s);
  };
  const followed = forEachStackState(
    cfg,
    at,
    kinds,
    (pc, i, k, regs) => {
      const s = cfg.blocks[cfg.blockOf[pc]!]!.subprogram;
      switch (k.kind) {
        case 'load':
          read(s, regs[i.src]!, i.off, i.off + k.bytes);
          return true;
        case 'atomic':
          if (isArg(regs[i.src]!)) return false;
          read(s, regs[i.dst]!, i.off, i.off + k.bytes);
          return true;
        case 'store':
          // A pointer that may be a caller's stored anywhere: a later load could give it back.
          return !(k.reg && isArg(regs[i.src]!));
        case 'call':
          for (let a = 1; a <= 5; a++) {
            const v = regs[a]!;
            if (!isArg(v)) continue;
            const to = callTarget(cfg, pc, i, k, regs, a);
            if (to !== undefined && v.t === 'arg')
              passOn.push({ subprogram: s, reg: v.reg, callee: to.callee, param: to.param, off: v.off });
            else if (to === undefined && k.target === 'helper' && v.t === 'arg') {
              const bytes = bytesOf(i, k, a, regs);
              if (bytes === undefined) reach[s]![v.reg]!.all = true;
              else add(reach[s]![v.reg]!, v.off, v.off + bytes);
            } else allOf(s);
          }
          return true;
        case 'callx':
          return ![1, 2, 3, 4, 5].some((r) => isArg(regs[r]!));
        default:
          return true;
      }
    },
    params,
    slots,
  );
  if (!followed) return undefined;
  // What a callee reads through a parameter, its caller reads through the argument it passed.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of passOn) {
      const from = reach[p.callee]![p.param]!;
      const to = reach[p.subprogram]![p.reg]!;
      if (to.all) continue;
      if (from.all) {
        to.all = true;
        changed = true;
        continue;
      }
      const before = to.ranges.length;
      for (const [lo, hi] of from.ranges) add(to, lo + p.off, hi + p.off);
      if (to.all || to.ranges.length !== before) changed = true;
    }
  }
  return reach;
}
