// Static stack-slot liveness: a slot is live at a slot of the program when some path from there
// reads one of its bytes before an 8-byte store overwrites it whole. Pruning then ignores dead
// slots, as the kernel's does (6.18: kernel/bpf/liveness.c, "live stack slots analysis", whose
// read marks come from check_stack_read and check_stack_range_initialized; stacksafe skips the
// slots bpf_stack_slot_alive says no path reads). The reads are those through r10 and through
// copies of it at an offset known on every path (stack-pointers.ts): loads, atomics, and the
// memory arguments of helper calls, with the size the helper reads (a map's key or value, a
// constant size argument, a fixed size; else every byte from the pointer to the frame's top, all
// a helper may reach; for a bpf-to-bpf call or a helper that invokes a callback, the whole
// frame, which the callee reaches through its argument at any offset). Each subprogram is its own
// frame; while a callee runs, its caller's frame is compared where it is live at the call
// (walk.ts). An access through a stack pointer whose offset is not known here (it differs by
// path, or arithmetic moved it) reads every slot and overwrites none. A stack pointer spilled
// whole into a slot of its own frame is followed through the fill (stack-pointers.ts); a program
// that stores one anywhere else, or compares one, gets no answer here: every slot is compared.

import type { Cfg } from '../cfg/index.js';
import { slotArrays } from '../cfg/slot-arrays.js';
import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import type { MapSpec } from '../program/types.js';
import { HELPER_PROTOS, type HelperArgKind, type HelperProto } from '../uapi/helper-protos.js';
import { type CalleeReads, calleeReads, callTarget, pointerParams } from './callee-reads.js';
import { invokesCallback, NEVER_NULL_WITH_KNOWN_KEY } from './calls.js';
import { solveBackward } from './liveness.js';
import { forEachStackState, isArg, isStack, type StackValue } from './stack-pointers.js';
import { SLOTS } from './state.js';

/** Bytes of a dynptr on the stack (struct bpf_dynptr). */
const DYNPTR_BYTES = 16;

/** The first slot (the highest address) an access of `size` bytes at r10 + off touches. */
const firstSlot = (off: number, size: number): number =>
  // A helper's access stops at the frame's top.
  Math.floor((-(Math.min(off + size, 0) - 1) - 1) / 8);
/** The last slot an access at r10 + off touches (the frame's last where it starts below). */
const lastSlot = (off: number): number => Math.min(Math.floor((-off - 1) / 8), SLOTS - 1);

/** The bits of slots base..base+31 among slots first..last. */
function bitsOf(first: number, last: number, base: number): number {
  const f = Math.max(first, base) - base;
  const l = Math.min(last, base + 31) - base;
  if (f > l) return 0;
  // Bits f..l: all ones from `f` up, with those above `l` cleared.
  return (l === 31 ? -1 : (1 << (l + 1)) - 1) & ~((1 << f) - 1);
}

/**
 * The stack slots one instruction reads and those it overwrites whole, as bits (lo: slots 0-31,
 * hi: slots 32-63; slot k holds bytes [-(k+1)·8, -k·8) of the frame).
 */
class Touched {
  readLo = 0;
  readHi = 0;
  killLo = 0;
  killHi = 0;

  clear(): void {
    this.readLo = 0;
    this.readHi = 0;
    this.killLo = 0;
    this.killHi = 0;
  }

  /** An access of `size` bytes at r10 + off reads (or, `kill`, overwrites) the slots it touches. */
  add(off: number, size: number, kill = false): void {
    const first = firstSlot(off, size);
    const last = lastSlot(off);
    if (first < 0 || first > last) return;
    if (kill) {
      this.killLo |= bitsOf(first, last, 0);
      this.killHi |= bitsOf(first, last, 32);
    } else {
      this.readLo |= bitsOf(first, last, 0);
      this.readHi |= bitsOf(first, last, 32);
    }
  }

  /** Every slot of the frame is read: an access through a stack pointer of unknown offset. */
  addAll(): void {
    this.readLo = -1;
    this.readHi = -1;
  }
}

/** The single slot an access of `size` bytes at r10 + off touches, or -1. */
function slotOf(off: number, size: number): number {
  const first = firstSlot(off, size);
  return first >= 0 && first === lastSlot(off) ? first : -1;
}

/** Bytes a helper reads through its argument `arg` (1-5), or undefined: up to the frame's top. */
function argBytes(
  proto: HelperProto,
  arg: number,
  regs: readonly StackValue[],
  maps: ReadonlyMap<string, MapSpec>,
): number | undefined {
  const kind: HelperArgKind | undefined = proto.args[arg - 1];
  if (kind === undefined) return undefined;
  if (typeof kind === 'object') return kind.fixed;
  switch (kind) {
    case 'key':
    case 'value':
    case 'uninit-value': {
      const m = proto.args.indexOf('map');
      const map = m < 0 ? undefined : regs[m + 1];
      const spec = map?.t === 'map' ? maps.get(map.name) : undefined;
      if (spec === undefined) return undefined;
      return kind === 'key' ? spec.keySize : spec.valueSize;
    }
    case 'mem':
    case 'mem-or-null':
    case 'uninit-mem': {
      const size = regs[arg + 1];
      return size?.t === 'const' ? size.n : undefined;
    }
    case 'dynptr':
    case 'uninit-dynptr-local':
    case 'uninit-dynptr-ringbuf':
    case 'release-dynptr-ringbuf':
      return DYNPTR_BYTES;
    default:
      return undefined;
  }
}

/** An access through `base` + off reads the slots it touches (none: no stack pointer). */
function read(t: Touched, base: StackValue, off: number, size: number): void {
  if (base.t === 'fp') t.add(base.off + off, size);
  else if (isStack(base)) t.addAll();
}

/**
 * What a call reads through its argument `arg`, a pointer at `off` into this frame that it hands
 * a callee or a callback (callee-reads.ts): added to `t`, every slot where that is not known.
 */
type Passed = (arg: number, off: number, t: Touched) => void;

/** Adds what instruction `i` reads and overwrites whole to `t`; false: no static answer. */
function accessOf(
  i: Instruction,
  k: Kind,
  regs: readonly StackValue[],
  maps: ReadonlyMap<string, MapSpec>,
  passed: Passed | undefined,
  t: Touched,
): boolean {
  switch (k.kind) {
    case 'alu':
      // Arithmetic with a stack pointer gives one of unknown offset (stack-pointers.ts).
      return true;
    case 'jmp':
      return !(isStack(regs[i.dst]!) || (k.reg && isStack(regs[i.src]!)));
    case 'load':
      read(t, regs[i.src]!, i.off, k.bytes);
      return true;
    case 'store': {
      // A stack pointer stored: followed where it is one of this frame's, spilled whole into a
      // slot of this frame at a known offset (stack-pointers.ts gives it back at the fill); any
      // other store of one could come back unseen.
      const base = regs[i.dst]!;
      const src = k.reg ? regs[i.src]! : undefined;
      // An aligned 8-byte store at a known offset overwrites its slot whole; a narrower one, or
      // one at an unknown offset, leaves bytes that matter.
      const whole = base.t === 'fp' && k.bytes === 8 && (base.off + i.off) % 8 === 0;
      if (src !== undefined && (isArg(src) || (isStack(src) && !whole))) return false;
      if (whole) t.add(base.off + i.off, 8, true);
      return true;
    }
    case 'atomic':
      if (isStack(regs[i.src]!)) return false;
      read(t, regs[i.dst]!, i.off, k.bytes);
      return true;
    case 'call': {
      const proto = k.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
      for (let a = 1; a <= 5; a++) {
        const v = regs[a]!;
        if (v.t !== 'fp') {
          if (isStack(v)) t.addAll();
          continue;
        }
        // A callee or a callback gets the pointer and reads through it what callee-reads.ts found.
        if (k.target === 'local' || invokesCallback(i, k)) {
          if (passed === undefined) t.addAll();
          else passed(a, v.off, t);
          continue;
        }
        const bytes = proto === undefined ? undefined : argBytes(proto, a, regs, maps);
        t.add(v.off, bytes ?? -v.off);
      }
      return true;
    }
    case 'callx':
    case 'endian':
      return !isStack(regs[i.dst]!);
    case 'lddw':
    case 'ldpkt':
    case 'ja':
    case 'exit':
      return true;
    default:
      return assertNever(k, 'instruction kind');
  }
}

/** The stack as followed here (see liveStackSlots). */
export interface StackUse {
  /** Live slots by program slot, as two masks: slots 0-31 and 32-63. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /**
   * 1 at a store of the main program whose base is no stack pointer on any path: what it stores
   * is no spill, no later load gives it back (precision.ts).
   */
  readonly offStack: Uint8Array;
  /** Per program slot and half: the stack slots read there (bits), and those overwritten whole. */
  readonly read: readonly [Int32Array, Int32Array];
  readonly kill: readonly [Int32Array, Int32Array];
  /** 1 where the reads are a load into a register (a fill), not a helper's or an atomic's. */
  readonly fill: Uint8Array;
  /**
   * What callees may do with their callers' frames (precision through them, see
   * callerFramesMatter): 1 at a call handing a callee or a callback a pointer into this frame
   * (`frameCall`); at a store or load of a subprogram other than the main one through a base that
   * is no stack pointer of its own frame, which may be a caller's (`otherStore`, `otherLoad`);
   * `otherAccess`: such a subprogram has an atomic or a helper or kfunc call on such a pointer.
   */
  readonly frameCall: Uint8Array;
  readonly otherStore: Uint8Array;
  readonly otherLoad: Uint8Array;
  readonly otherAccess: boolean;
  /**
   * 1 at a helper call whose map key's constant value may decide a check (get_constant_map_key,
   * then a lookup that cannot fail): the map, from an lddw, is of such a type, or it is not known
   * here (a map from a map of maps) and some map of the program or inner map is.
   */
  readonly keyMatters: Uint8Array;
  /** The frame slot (0-63) a store at a known offset writes into, one slot only; -1 otherwise. */
  readonly storeSlot: Int8Array;
  /**
   * Per program slot and half: the slots a store that is no spill writes into (not at the slot's
   * start): the kernel makes a spill there misc bytes (check_stack_write_fixed_off), so what was
   * spilled before cannot be filled back.
   */
  readonly spillKill: readonly [Int32Array, Int32Array];
  /** Some access reads the frame's lower half (slots 32-63, below fp-256). */
  readonly readsHigh: boolean;
}

/** The program's stack use, or undefined when it reaches its stack in a way not followed here. */
export function liveStackSlots(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  maps: ReadonlyMap<string, MapSpec> = new Map(),
): StackUse | undefined {
  // Spilled stack pointers are followed only in a program that spills one (the passes' state is
  // then six times larger).
  const plain = followStack(cfg, at, kinds, maps, false);
  return plain === SPILLS ? (followStack(cfg, at, kinds, maps, true) as StackUse | undefined) : plain;
}

/** A program that spills a stack pointer: follow the frame's slots too. */
const SPILLS = 'spills';

function followStack(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  maps: ReadonlyMap<string, MapSpec>,
  slots: boolean,
): StackUse | undefined | typeof SPILLS {
  // Per slot: the slots read (bits) and overwritten whole, in the two 32-slot halves.
  const mem = slotArrays(cfg);
  const n = cfg.slots;
  const read = [mem.int32(n), mem.int32(n)] as const;
  const kill = [mem.int32(n), mem.int32(n)] as const;
  const offStack = mem.uint8(n);
  const fill = mem.uint8(n);
  const frameCall = mem.uint8(n);
  const otherStore = mem.uint8(n);
  const otherLoad = mem.uint8(n);
  const keyMatters = mem.uint8(n);
  const storeSlot = mem.int8(n).fill(-1);
  const spillKill = [mem.int32(n), mem.int32(n)] as const;
  const knownKeyMaps = [...maps.values()].some(
    (m) =>
      NEVER_NULL_WITH_KNOWN_KEY.includes(m.type) ||
      (m.innerMap !== undefined && NEVER_NULL_WITH_KNOWN_KEY.includes(m.innerMap.type)),
  );
  let otherAccess = false;
  let readsHigh = false;
  const bytesOf = (i: Instruction, k: Kind, arg: number, regs: readonly StackValue[]) => {
    const proto = k.kind === 'call' && k.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
    return proto === undefined ? undefined : argBytes(proto, arg, regs, maps);
  };
  // A program of one function calls none: its calls read nothing through arguments. Otherwise
  // every argument is first taken as maybe a pointer; only where one is stored (a scalar, most
  // often) are the pointer parameters worked out, which costs two more passes.
  let params: Int32Array | undefined = new Int32Array(1);
  let reach: CalleeReads | undefined = [];
  if (cfg.subprograms.length > 1) {
    params = undefined;
    reach = calleeReads(cfg, at, kinds, bytesOf, params, slots);
    if (reach === undefined) {
      params = pointerParams(cfg, at, kinds, slots);
      reach = calleeReads(cfg, at, kinds, bytesOf, params, slots);
    }
  }
  if (reach === undefined) return undefined;
  let spills = false;
  const touched = new Touched();
  const spillTouched = new Touched();
  const followed = forEachStackState(
    cfg,
    at,
    kinds,
    (pc, i, k, regs) => {
      // What a callee reads through the pointer it gets (made for calls only: a hot pass).
      const passed: Passed | undefined =
        k.kind !== 'call'
          ? undefined
          : (arg, off, t) => {
              const to = callTarget(cfg, pc, i, k, regs, arg);
              const r = to === undefined ? undefined : reach[to.callee]![to.param]!;
              if (r === undefined || r.all) t.addAll();
              else for (const [lo, hi] of r.ranges) t.add(off + lo, hi - lo);
            };
      if (!slots && k.kind === 'store' && k.reg && isStack(regs[i.src]!)) {
        spills = true;
        return false;
      }
      touched.clear();
      if (!accessOf(i, k, regs, maps, passed, touched)) return false;
      // Only in the main program is a base that holds no stack pointer of the frame no stack at
      // all: a callee's or a callback's arguments may point into its caller's frame.
      const main = cfg.blocks[cfg.blockOf[pc]!]!.subprogram === 0;
      if (k.kind === 'store' && !isStack(regs[i.dst]!)) (main ? offStack : otherStore)[pc] = 1;
      const base = regs[i.dst]!;
      if (k.kind === 'store' && base.t === 'fp') {
        const off = base.off + i.off;
        storeSlot[pc] = slotOf(off, k.bytes);
        if (off % 8 !== 0) {
          spillTouched.clear();
          spillTouched.add(off, k.bytes, true);
          spillKill[0][pc] = spillTouched.killLo;
          spillKill[1][pc] = spillTouched.killHi;
        }
      }
      if (k.kind === 'load') {
        fill[pc] = 1;
        if (!main && !isStack(regs[i.src]!)) otherLoad[pc] = 1;
      }
      if (!main && k.kind === 'atomic' && !isStack(regs[i.dst]!)) otherAccess = true;
      if (k.kind === 'call') {
        let stackArg = false;
        let otherArg = false;
        for (let r = 1; r <= 5; r++) {
          const v = regs[r]!;
          if (isStack(v)) stackArg = true;
          if (v.t === 'other' || isArg(v)) otherArg = true;
        }
        if ((k.target === 'local' || invokesCallback(i, k)) && stackArg) frameCall[pc] = 1;
        if (!main && k.target !== 'local' && otherArg) otherAccess = true;
        const proto = k.target === 'helper' ? HELPER_PROTOS.get(i.imm) : undefined;
        if (k.target === 'helper' && (proto === undefined || proto.args.includes('key'))) {
          const m = proto === undefined ? -1 : proto.args.indexOf('map');
          const map = m < 0 ? undefined : regs[m + 1];
          const spec = map?.t === 'map' ? maps.get(map.name) : undefined;
          if (spec === undefined ? knownKeyMaps : NEVER_NULL_WITH_KNOWN_KEY.includes(spec.type))
            keyMatters[pc] = 1;
        }
      }
      kill[0][pc] = touched.killLo;
      kill[1][pc] = touched.killHi;
      read[0][pc] = touched.readLo;
      read[1][pc] = touched.readHi;
      if (touched.readHi !== 0) readsHigh = true;
      return true;
    },
    params,
    slots,
  );
  if (!followed) return spills ? SPILLS : undefined;
  const solve = (h: 0 | 1) =>
    solveBackward(cfg, (pc, out) => {
      const k = kinds[pc];
      if (at[pc] === undefined || k === undefined) return undefined;
      return k.kind === 'exit' ? 0 : (out & ~kill[h][pc]!) | read[h][pc]!;
    });
  // Nothing reads the lower half of the frame (slots 32-63, below fp-256): none of it is live.
  return {
    lo: solve(0),
    hi: readsHigh ? solve(1) : mem.int32(n),
    offStack,
    read,
    kill,
    fill,
    frameCall,
    otherStore,
    otherLoad,
    otherAccess,
    keyMatters,
    storeSlot,
    spillKill,
    readsHigh,
  };
}

/**
 * The stack slots whose spilled scalar's value may decide a later check, by program slot (two
 * masks, as liveStackSlots'): the kernel marks a spilled register precise only when a fill gives
 * it to a register whose value is wanted (backtrack_insn through the stack slot), or it is the
 * constant key of an array map's lookup that then never returns NULL (get_constant_map_key); a
 * helper's other reads of the stack (keys of other maps, memory arguments) decide nothing.
 * `wanted(pc, r)`: register r's value (or its zero-ness) is wanted after `pc`; a helper call whose
 * constant key may matter (StackUse.keyMatters) keeps all its reads.
 */
export function preciseStackSlots(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  use: StackUse,
  wanted: (pc: number, r: number) => boolean,
  calleesMatter: boolean,
): { readonly lo: Int32Array; readonly hi: Int32Array } {
  const solve = (h: 0 | 1) =>
    solveBackward(cfg, (pc, out) => {
      const i = at[pc];
      const k = kinds[pc];
      if (i === undefined || k === undefined) return undefined;
      if (k.kind === 'exit') return 0;
      const quiet =
        use.fill[pc] === 1
          ? !wanted(pc, i.dst)
          : use.frameCall[pc] === 1
            ? !calleesMatter
            : k.kind === 'call' && k.target === 'helper' && use.keyMatters[pc] === 0;
      return (out & ~(use.kill[h][pc]! | use.spillKill[h][pc]!)) | (quiet ? 0 : use.read[h][pc]!);
    });
  // Slots nothing reads are never wanted.
  return { lo: solve(0), hi: use.readsHigh ? solve(1) : slotArrays(cfg).int32(cfg.slots) };
}

/**
 * Whether a value that a callee or a callback reads or writes in its caller's frame may decide a
 * check: one of their loads through a pointer that may be a caller's feeds a wanted register, or
 * they hand such a pointer to a helper, a kfunc or an atomic, or a caller's frame has a slot
 * whose spilled value matters where it hands a pointer into it to a call. When none does, what
 * they store there is no spill that matters, and the frame their call reads is read, not
 * compared exactly (the kernel marks such slots precise only where backtracking reaches them);
 * `precise` and `slots` are the analyses made on that assumption, which this checks.
 */
export function callerFramesMatter(
  at: readonly (Instruction | undefined)[],
  use: StackUse,
  wanted: (pc: number, r: number) => boolean,
  slots: { readonly lo: Int32Array; readonly hi: Int32Array },
): boolean {
  if (use.otherAccess) return true;
  for (let pc = 0; pc < at.length; pc++) {
    if (use.otherLoad[pc] === 1 && wanted(pc, at[pc]!.dst)) return true;
    if (use.frameCall[pc] === 1 && (slots.lo[pc] !== 0 || slots.hi[pc] !== 0)) return true;
  }
  return false;
}
