// The abstract machine state the verifier walks with, as the kernel's bpf_verifier_state keeps
// it (include/linux/bpf_verifier.h): per call frame eleven registers and 512 bytes of stack, the
// references a path holds (ring-buffer records), and the frames of bpf-to-bpf calls. States are
// copied at branches (copyState) and compared at prune points (prune.ts).

import type { MapSpec } from '../program/types.js';
import { type Scalar, scalarConst, scalarUnknown } from './num.js';

/** Register types (the kernel's enum bpf_reg_type, the ones tsbpf's programs meet). */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'map_ptr'
  | 'map_value'
  | 'map_value_or_null'
  | 'map_ptr_or_null'
  | 'map_key'
  | 'sock_common_or_null'
  | 'sock_common'
  | 'sock_or_null'
  | 'sock'
  | 'tcp_sock_or_null'
  | 'tcp_sock'
  | 'xdp_sock_or_null'
  | 'xdp_sock'
  | 'fp'
  | 'ringbuf_mem'
  | 'ringbuf_mem_or_null'
  | 'ptr_nf_conn'
  | 'ptr_or_null_nf_conn'
  | 'mem'
  | 'mem_or_null'
  | 'rdonly_mem'
  | 'rdonly_mem_or_null'
  | 'func';

/**
 * A packet pointer's range where a comparison with data_end found it there (`pkt >= end`) or past
 * it (`pkt > end`): no access through it, and the same comparison again is decided (the kernel's
 * AT_PKT_END and BEYOND_PKT_END, mark_pkt_end).
 */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

/** A map as the verifier sees it (the lddw's map, the object's MapSpec). */
export interface MapRef {
  readonly name: string;
  readonly spec: MapSpec;
}

/**
 * One register. For a scalar `value` is its value; for a pointer `value` is the variable part of
 * its offset (a known 0 unless a scalar was added) and `off` the fixed part, as the kernel splits
 * them (reg->off and var_off).
 */
export interface Reg {
  readonly type: RegType;
  readonly value: Scalar;
  readonly off: number;
  /**
   * pkt: the id shared by pointers derived from one load without variable offsets (range
   * learning marks them all); *_or_null: the id a null check resolves; 0 when none.
   */
  readonly id: number;
  /**
   * pkt/pkt_meta: bytes past the pointer (without its own offset) proven below data_end; for a
   * pkt pointer a comparison found at or beyond data_end, AT_PKT_END or BEYOND_PKT_END.
   */
  readonly range: number;
  /** map_ptr, map_value(_or_null); undefined for the others. */
  readonly map: MapRef | undefined;
  /** fp: the call frame the stack pointer points into. */
  readonly frame: number;
  /** ringbuf_mem(_or_null), ptr_(or_null_)nf_conn: the reference that must be released; 0 for none. */
  readonly ref: number;
  /** ringbuf_mem(_or_null): record size in bytes. */
  readonly memSize: number;
  /** func: the slot of the subprogram. */
  readonly target: number;
  /** (rdonly_)mem(_or_null) from a dynptr: the id of the dynptr it was sliced from; 0 for none. */
  readonly dynptr: number;
  /** A slice of an skb/xdp dynptr: stale, like packet pointers, after a packet-changing helper. */
  readonly pktSlice: boolean;
}
// Every field is always present, in one order: every register is one object shape, so the walk's
// code that reads them stays monomorphic (an optional field makes a second shape, and V8
// deoptimises the code optimised for the first when a new program brings the other).

const ZERO = scalarConst(0n);

/** A register being changed (a copy, see mutableReg). */
export type MutableReg = { -readonly [K in keyof Reg]: Reg[K] };

/** A copy of `r` to change: spelled out, not spread (a spread object has a shape of its own). */
export function mutableReg(r: Reg): MutableReg {
  return {
    type: r.type,
    value: r.value,
    off: r.off,
    id: r.id,
    range: r.range,
    frame: r.frame,
    ref: r.ref,
    memSize: r.memSize,
    target: r.target,
    map: r.map,
    dynptr: r.dynptr,
    pktSlice: r.pktSlice,
  };
}

export function scalarReg(value: Scalar): Reg {
  // Spelled out (one shape, no spread): one of the commonest allocations of the walk.
  return {
    type: 'scalar',
    value,
    off: 0,
    id: 0,
    range: 0,
    frame: 0,
    ref: 0,
    memSize: 0,
    target: 0,
    map: undefined,
    dynptr: 0,
    pktSlice: false,
  };
}

const notInit = mutableReg(scalarReg(ZERO));
notInit.type = 'not_init';
export const NOT_INIT: Reg = notInit;
export const UNKNOWN: Reg = scalarReg(scalarUnknown());

/** A pointer of `type` with a zero offset; `extra` sets the rest. */
export function pointer(type: RegType, extra?: Partial<Omit<Reg, 'type'>>): Reg {
  const reg = mutableReg(NOT_INIT);
  reg.type = type;
  // Only the fields `extra` has (its shape differs by caller: reading every field from it was
  // slow); they all exist in `reg`, which keeps its shape.
  if (extra !== undefined) Object.assign(reg, extra);
  return reg;
}

export const isPointer = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init';
export const maybeNull = (t: RegType): boolean =>
  t === 'map_value_or_null' ||
  t === 'ringbuf_mem_or_null' ||
  t === 'map_ptr_or_null' ||
  t === 'sock_common_or_null' ||
  t === 'sock_or_null' ||
  t === 'tcp_sock_or_null' ||
  t === 'xdp_sock_or_null' ||
  t === 'ptr_or_null_nf_conn' ||
  t === 'mem_or_null' ||
  t === 'rdonly_mem_or_null';

/** What a nullable pointer is once tested against NULL. */
export function notNullType(t: RegType): RegType {
  if (t === 'map_value_or_null') return 'map_value';
  if (t === 'map_ptr_or_null') return 'map_ptr';
  if (t === 'ringbuf_mem_or_null') return 'ringbuf_mem';
  if (t === 'sock_common_or_null') return 'sock_common';
  if (t === 'sock_or_null') return 'sock';
  if (t === 'tcp_sock_or_null') return 'tcp_sock';
  if (t === 'xdp_sock_or_null') return 'xdp_sock';
  if (t === 'ptr_or_null_nf_conn') return 'ptr_nf_conn';
  if (t === 'mem_or_null') return 'mem';
  if (t === 'rdonly_mem_or_null') return 'rdonly_mem';
  return t;
}
export const isPacket = (t: RegType): boolean => t === 'pkt' || t === 'pkt_meta';

/** Stack byte kinds (the kernel's STACK_INVALID, STACK_SPILL, STACK_MISC, STACK_ZERO, STACK_DYNPTR). */
export enum Byte {
  Invalid = 0,
  Spill = 1,
  Misc = 2,
  Zero = 3,
  Dynptr = 4,
}

/** enum bpf_dynptr_type, by the names the kernel's log prints (dynptr_type_str). */
export type DynptrKind = 'local' | 'ringbuf' | 'skb' | 'xdp' | 'skb_meta';

/** One of the two slots of a dynptr on the stack (the kernel keeps this in the slot's spilled_ptr). */
export interface DynptrSlot {
  readonly kind: DynptrKind;
  /** The slot at the dynptr's lower address (the kernel's first_slot). */
  readonly first: boolean;
  readonly id: number;
  /** Ring-buffer dynptrs: the reference submit/discard releases (clones share it); 0 otherwise. */
  readonly ref: number;
}

export const STACK_SIZE = 512;
export const SLOTS = STACK_SIZE / 8;
export const MAX_CALL_FRAMES = 8;

/** One 8-byte stack slot: the kind of each byte and, for a register spilled whole, the register. */
export interface Slot {
  readonly bytes: readonly Byte[];
  readonly spilled: Reg | undefined;
  /** Bytes of kind Dynptr: the dynptr this slot holds half of. */
  readonly dynptr: DynptrSlot | undefined;
}

/** A slot (every field present, in one order: one object shape, as for registers). */
export const slot = (bytes: readonly Byte[], spilled?: Reg, dynptr?: DynptrSlot): Slot => ({
  bytes,
  spilled,
  dynptr,
});

export const EMPTY_SLOT: Slot = slot([0, 0, 0, 0, 0, 0, 0, 0]);

export interface Frame {
  readonly regs: Reg[];
  /**
   * Slot k covers bytes [-(k+1)·8, -k·8) of the frame. Read-only here: copies of a state share
   * it until one of them writes, through writableStack.
   */
  stack: readonly Slot[];
  /** `stack` may be shared with a copy of this frame (copyFrame): the next write copies it. */
  stackShared: boolean;
  /** The subprogram's first slot. */
  readonly subprogram: number;
  /** Where the caller resumes (the call's slot + 1); -1 in the main frame. */
  readonly returnTo: number;
  /** A callback frame (bpf_loop, ...): its r0 is the callback's verdict, not a return value. */
  readonly callback: boolean;
  /**
   * Deepest stack byte used, positive (the subprogram's stack depth). Every write to the stack
   * raises it first or with the write, so slots from ceil(depth / 8) on are still EMPTY_SLOT.
   */
  depth: number;
  /**
   * Invocations of a bpf_loop callback walked so far from the call this frame is at (the kernel's
   * callback_depth): the call walks another while this is below the count's largest value.
   */
  callbackDepth: number;
}

/** A reference a path holds: its id and the slot that acquired it. */
export interface Ref {
  readonly id: number;
  readonly insn: number;
}

/**
 * An empty list of references, as an array V8 already holds objects in: `[]` is an array of small
 * integers to it until an object is stored, and states with and without references would then
 * hold two array shapes (copies keep theirs), which the code reading them pays for.
 */
export const noRefs = (): Ref[] => [{ id: 0, insn: 0 }].slice(0, 0);

/** `refs` without the reference `id` (released), as a new list. */
export function withoutRef(refs: readonly Ref[], id: number): Ref[] {
  const out = noRefs();
  for (const r of refs) if (r.id !== id) out.push(r);
  return out;
}

export interface State {
  frames: Frame[];
  /** The references this path holds (acquired, not yet released) and the slot that acquired each. */
  refs: Ref[];
  /** A bpf_spin_lock is held (at most one). */
  locked: boolean;
  /** Inside bpf_rcu_read_lock/unlock (not nested: 6.18 refuses a second lock). */
  rcu: boolean;
  /**
   * Callback invocations this path entered (the kernel's callback_unroll_depth): two states are
   * the same loop iteration only within one invocation.
   */
  unroll: number;
  /**
   * A path the CPU may take only by mispredicting (unprivileged loads: the kernel walks it so that
   * what it could reach under speculation is safe too, or fenced: walk.ts).
   */
  speculative: boolean;
}

export function newFrame(subprogram: number, returnTo: number, callback: boolean, index: number): Frame {
  const regs: Reg[] = new Array(11).fill(NOT_INIT);
  regs[10] = pointer('fp', { frame: index });
  return {
    regs,
    stack: new Array(SLOTS).fill(EMPTY_SLOT),
    stackShared: false,
    subprogram,
    returnTo,
    callback,
    depth: 0,
    callbackDepth: 0,
  };
}

/** The entry state: r1 is the context, r10 the frame pointer. */
export function entryState(): State {
  const f = newFrame(0, -1, false, 0);
  f.regs[1] = pointer('ctx');
  return { frames: [f], refs: noRefs(), locked: false, rcu: false, unroll: 0, speculative: false };
}

export function copyState(s: State): State {
  return {
    frames: s.frames.map(copyFrame),
    refs: s.refs.slice(),
    locked: s.locked,
    rcu: s.rcu,
    unroll: s.unroll,
    speculative: s.speculative,
  };
}

/** Field by field (faster than a spread on the walk's branches): a field added to Frame is
 * added here too (the compiler asks for required ones). The stack is shared, copied on write:
 * states are copied at every branch and checkpoint, and most copies never write their stack. */
function copyFrame(f: Frame): Frame {
  f.stackShared = true;
  return {
    regs: f.regs.slice(),
    stack: f.stack,
    stackShared: true,
    subprogram: f.subprogram,
    returnTo: f.returnTo,
    callback: f.callback,
    depth: f.depth,
    callbackDepth: f.callbackDepth,
  };
}

/** The frame's stack to write to: its own copy first when it may share it (copyFrame). */
export function writableStack(f: Frame): Slot[] {
  if (f.stackShared) {
    f.stack = f.stack.slice();
    f.stackShared = false;
  }
  return f.stack as Slot[];
}

export function current(s: State): Frame {
  return s.frames[s.frames.length - 1]!;
}

/** Applies `f` to every register and spilled register of every frame (null checks, range learning). */
export function mapRegs(s: State, f: (r: Reg) => Reg): void {
  for (const fr of s.frames) {
    for (let k = 0; k < fr.regs.length; k++) fr.regs[k] = f(fr.regs[k]!);
    // Slots past the depth were never written (Frame.depth): nothing spilled there.
    const used = Math.min(fr.stack.length, Math.ceil(fr.depth / 8));
    for (let k = 0; k < used; k++) {
      const old = fr.stack[k]!;
      if (old.spilled !== undefined) {
        const r = f(old.spilled);
        if (r !== old.spilled) writableStack(fr)[k] = slot(old.bytes, r);
      }
    }
  }
}
