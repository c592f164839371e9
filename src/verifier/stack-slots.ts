// Stack slots reached at a fixed offset: the kinds of their bytes, register spills and fills, as
// Linux 6.18 keeps them (kernel/bpf/verifier.c: check_stack_write_fixed_off, save_register_state,
// check_stack_read_fixed_off, get_constant_map_key). What the kernel does, and so tsbpf:
// - A privileged store of a scalar (a register or a BPF_ST immediate) at the start of a slot is a
//   spill of `size` bytes, whatever the size: the register is kept whole, its bytes are marked
//   spilled, the slot's other bytes become misc (zero and uninitialised bytes stay as they are).
// - A pointer spills only whole (8 bytes); unprivileged, a scalar never spills (its bytes become
//   misc, or zero for a zero), since only bpf_capable loads get scalar spills.
// - A fill of at most the spilled size from the slot's start gives the register back, narrowed
//   to the load's size (coerce_reg_to_size after check_mem_access); any other read of a spilled
//   slot reads its bytes (all spilled bytes of a zero, or all zero bytes, give a zero).
// - Any other write into a slot that holds a spill turns its initialised bytes into misc.
// Slot bytes are kept from the slot's lowest address: tsbpf's bytes[i] is the kernel's
// slot_type[7 - i].

import type { Env } from './env.js';
import { constOf, loaded, narrowed, scalarConst } from './num.js';
import { refuse } from './refuse.js';
import {
  Byte,
  EMPTY_SLOT,
  isPointer,
  type Reg,
  type Slot,
  STACK_SIZE,
  type State,
  scalarReg,
  slot,
  UNKNOWN,
} from './state.js';

/** What a fixed-offset stack access needs to know of the instruction. */
export interface SlotAccess {
  readonly regno: number;
  readonly size: number;
  /** For a store: the value written (a register, or an immediate as a known scalar). */
  readonly value?: Reg | undefined;
  /** The value came from an immediate (BPF_ST), not a register. */
  readonly imm?: boolean;
  readonly signed?: boolean;
  readonly atomic?: boolean;
}

export const slotIndex = (byteOff: number): number => Math.floor((-byteOff - 1) / 8);
/** Byte `b` (negative, from r10) inside its slot: slot bytes are kept from the slot's lowest address. */
export const byteInSlot = (b: number): number => (b + STACK_SIZE) % 8;

export function byteAt(stack: readonly Slot[], b: number): Byte {
  return stack[slotIndex(b)]!.bytes[byteInSlot(b)]!;
}

/** One byte written other than by a spill: the slot's spilled register is gone. */
export function setByte(stack: Slot[], b: number, kind: Byte): void {
  const k = slotIndex(b);
  const s = stack[k]!;
  const bytes: Byte[] = s.bytes.map((x): Byte => (x === Byte.Spill ? Byte.Misc : x));
  bytes[byteInSlot(b)] = kind;
  stack[k] = slot(bytes);
}

/** The slot holds a spilled register (the kernel's is_spilled_reg: its lowest byte is spilled). */
const holdsSpill = (s: Slot): s is Slot & { spilled: Reg } =>
  s.spilled !== undefined && s.bytes[0] === Byte.Spill;

/** Spilled bytes from byte `from` of the slot up, as the kernel counts them from slot_type[7 - from] down. */
function spilledFrom(s: Slot, from: number): number {
  let n = 0;
  while (from + n < 8 && s.bytes[from + n] === Byte.Spill) n++;
  return n;
}

/** save_register_state: `reg` spilled into the slot's lowest `size` bytes. */
function spill(stack: Slot[], k: number, reg: Reg, size: number): void {
  const old = stack[k]!;
  const bytes = old.bytes.map((b, i): Byte => {
    if (i < size) return Byte.Spill;
    // mark_stack_slot_misc: zero and uninitialised bytes keep their kind.
    return b === Byte.Zero || b === Byte.Invalid ? b : Byte.Misc;
  });
  stack[k] = slot(bytes, reg);
}

/** A store of `a.size` bytes at `at` (fixed, aligned to the size, within the frame). */
export function stackWrite(env: Env, stack: Slot[], at: number, a: SlotAccess): Reg {
  const v = a.value ?? UNKNOWN;
  const k = slotIndex(at);
  const slotStart = at % 8 === 0;
  // Unprivileged, part of a spilled pointer may not be overwritten (its other bytes would leak).
  const spilled = stack[k]!.spilled;
  if (!env.privileged && !a.atomic && a.size !== 8 && spilled !== undefined && isPointer(spilled))
    refuse('memory-type', 'attempt to corrupt spilled pointer on stack');
  // An atomic op's write-back is not a spill (value_regno < 0 in check_atomic).
  if (!a.atomic && slotStart && env.privileged && v.type === 'scalar') {
    spill(stack, k, v, a.size);
    return UNKNOWN;
  }
  if (!a.atomic && isPointer(v)) {
    if (a.size !== 8) refuse('memory-type', 'invalid size of register spill');
    spill(stack, k, v, 8);
    return UNKNOWN;
  }
  const old = stack[k]!;
  // An atomic op reads the bytes first; a spilled scalar or misc bytes stay misc.
  if (a.atomic && old.spilled !== undefined && isPointer(old.spilled))
    refuse('memory-type', `BPF_ATOMIC stores into R${a.regno} stack holding a pointer are not allowed`);
  // A slot that held a spill: every initialised byte becomes misc (scrub_spilled_slot).
  const bytes: Byte[] = holdsSpill(old)
    ? old.bytes.map((b): Byte => (b === Byte.Invalid ? Byte.Invalid : Byte.Misc))
    : old.bytes.map((b): Byte => (b === Byte.Spill ? Byte.Misc : b));
  const zero = !a.atomic && v.type === 'scalar' && constOf(v.value) === 0n;
  for (let b = at; b < at + a.size; b++) bytes[byteInSlot(b)] = zero ? Byte.Zero : Byte.Misc;
  stack[k] = slot(bytes);
  return UNKNOWN;
}

/** A load of `a.size` bytes at `at` (fixed, aligned to the size, within the frame): what it yields. */
export function stackRead(env: Env, stack: readonly Slot[], at: number, a: SlotAccess): Reg {
  const slot = stack[slotIndex(at)] ?? EMPTY_SLOT;
  const size = a.size as 1 | 2 | 4 | 8;
  let spilled: Reg | undefined;
  if (holdsSpill(slot)) {
    spilled = slot.spilled;
    const whole = spilledFrom(slot, 0);
    if (size === 8 && whole === 8) return a.atomic ? scalarReg(loaded(8, false)) : spilled;
    if (spilled.type !== 'scalar') refuse('memory-type', 'invalid size of register fill');
    // An atomic op's read has no destination: the kernel stops here (dst_regno < 0).
    if (a.atomic) return UNKNOWN;
    // bpf_stack_narrow_access_ok: from the slot's start, no wider than the spill.
    if (size <= whole && at % 8 === 0 && size !== 8)
      return scalarReg(narrowed(spilled.value, size, a.signed ?? false));
  }
  let spills = 0;
  let zeros = 0;
  for (let b = at; b < at + size; b++) {
    const kind = byteAt(stack, b);
    if (kind === Byte.Spill) spills++;
    else if (kind === Byte.Zero) zeros++;
    // A dynptr's bytes are never readable (check_stack_read_fixed_off: not MISC, ZERO or INVALID).
    else if ((kind === Byte.Invalid && !env.privileged) || kind === Byte.Dynptr)
      refuse('stack-bounds', `invalid read from stack off ${at}+${b - at} size ${size}`, {
        hint: 'initialise the stack bytes before reading them (memset, or = {} in C)',
      });
  }
  const zero = zeros === size || (spills === size && spilled !== undefined && constOf(spilled.value) === 0n);
  return scalarReg(zero ? scalarConst(0n) : loaded(size, a.signed ?? false));
}

/**
 * The key a helper reads at stack pointer `key`, when the verifier knows it (get_constant_map_key):
 * privileged only, `keySize` zero bytes from the key's first byte within its slot, or a spilled
 * known scalar whose spilled bytes from there are exactly `keySize` (its whole 64-bit value, as
 * the kernel takes it). Undefined otherwise.
 */
export function constantKey(env: Env, st: State, key: Reg, keySize: number): bigint | undefined {
  if (!env.privileged || key.type !== 'fp') return undefined;
  const v = constOf(key.value);
  if (v === undefined) return undefined;
  const at = key.off + Number(BigInt.asIntN(64, v));
  const slot = st.frames[key.frame]!.stack[slotIndex(at)];
  if (slot === undefined) return undefined;
  const from = byteInSlot(at);
  let zeros = 0;
  while (from + zeros < 8 && slot.bytes[from + zeros] === Byte.Zero) zeros++;
  if (zeros >= keySize) return 0n;
  if (!holdsSpill(slot) || slot.spilled.type !== 'scalar') return undefined;
  if (spilledFrom(slot, from) !== keySize) return undefined;
  return constOf(slot.spilled.value);
}

/**
 * Whether an unprivileged store through stack pointer `reg` at `off` is followed by a barrier
 * against Spectre v4 (check_stack_write_fixed_off without bypass_spec_v4): a pointer is stored,
 * or a byte it overwrites held neither misc nor zero (found so by asking 6.18: a 4-byte store at
 * fp-8 over uninitialised bytes ends a speculative path though fp-4..fp-1 are zero).
 */
export function storeNeedsBarrier(
  st: State,
  reg: Reg,
  off: number,
  size: number,
  value: Reg | undefined,
): boolean {
  const known = constOf(reg.value);
  if (known === undefined) return false;
  const at = reg.off + off + Number(BigInt.asIntN(64, known));
  if (at < -STACK_SIZE || at + size > 0) return false;
  if (value !== undefined && isPointer(value)) return true;
  return notMisc(st.frames[reg.frame]!.stack, at, size);
}

/**
 * Whether a helper's write of `size` bytes at `at` is followed by a barrier: the kernel writes
 * them a byte at a time (check_helper_call's raw mode), each a store of its own.
 */
export function helperWriteNeedsBarrier(stack: readonly Slot[], at: number, size: number): boolean {
  return notMisc(stack, at, size);
}

/** Some of `size` bytes at `at` hold neither misc nor zero. */
function notMisc(stack: readonly Slot[], at: number, size: number): boolean {
  for (let b = at; b < at + size; b++) {
    const kind = byteAt(stack, b);
    if (kind !== Byte.Misc && kind !== Byte.Zero) return true;
  }
  return false;
}
