// What the verifier proved about each load and store, for the JIT (jit/lower-memory.ts): a byte
// per slot, PROVED where every state the walk reached that slot in accessed memory the runtime
// lays out exactly as the verifier reasons about it, in bounds — so the inline check is
// redundant. The walk notes every visit; one visit of another kind marks the slot UNPROVED for
// good. Pruned paths need no visit: pruning only drops a state the kept one covers (the kernel's
// regsafe: a packet pointer's proven range at least the explored one's), so the explored visit's
// proof holds for them too. Only the result of an accepted walk is handed out.
//
// Proved kinds: packet and metadata pointers (off + size <= the range proven against data_end or
// data; helpers that move the packet invalidate them, calls.ts CHANGES_PACKET), context reads
// (the offsets ctxAccessProblem allows, inside the full struct xdp_md / __sk_buff the runtime
// allocates), stack pointers (always inside a live frame) and values of the array and hash maps
// (within value_size; their values sit in regions that never move or shrink while the map
// lives, runtime/maps/array.ts and slots.ts, a deleted hash element's slot included, as in the
// kernel's preallocated maps). Not: values of other map types (some are read-only to programs
// in the runtime), dynptr slices, ring-buffer records, map keys.
//
// A helper call's slot holds the proof of its memory arguments (a map key or value, a fixed-size
// buffer, a memory + size pair; calls.ts), each noted as a load or store of that kind: PROVED
// where every one of them, on every visit, lay in such memory for the whole size the verifier
// checked (helperMemAccess) — so the JIT's Wasm helpers may read them without their
// readable() check (jit/native-helpers.ts). A call without memory arguments proves nothing.

import type { MapTypeName } from '../uapi/map-types.js';
import type { Reg } from './state.js';

/** Map types whose values a proved access may reach unchecked (see above). */
const STABLE_VALUES: ReadonlySet<MapTypeName> = new Set([
  'ARRAY',
  'PERCPU_ARRAY',
  'HASH',
  'PERCPU_HASH',
  'LRU_HASH',
  'LRU_PERCPU_HASH',
]);

export const PROVED = 1;
const UNPROVED = 2;

/**
 * Notes one visit of the access at `pc` through `reg`, or of one memory argument of the helper
 * called there (before its check: a refusal ends the walk).
 */
export function noteAccess(proofs: Uint8Array, pc: number, reg: Reg, write: boolean): void {
  const proved =
    reg.type === 'pkt' ||
    reg.type === 'pkt_meta' ||
    reg.type === 'fp' ||
    (reg.type === 'ctx' && !write) ||
    (reg.type === 'map_value' && reg.map !== undefined && STABLE_VALUES.has(reg.map.spec.type));
  proofs[pc]! |= proved ? PROVED : UNPROVED;
}

/** The slots whose every visit was proved: PROVED there, 0 elsewhere (`proofs` made so, in place). */
export function provedAccesses(proofs: Uint8Array): Uint8Array {
  for (let pc = 0; pc < proofs.length; pc++) if (proofs[pc] !== PROVED) proofs[pc] = 0;
  return proofs;
}
