// Dynptrs on the stack (the kernel's STACK_DYNPTR, kernel/bpf/verifier.c: process_dynptr_func,
// mark_stack_slots_dynptr, destroy_if_dynptr_stack_slot, unmark_stack_slots_dynptr): a struct
// bpf_dynptr is 16 bytes, two stack slots at an 8-byte aligned constant offset, tagged with the
// dynptr's type. A constructor's argument (MEM_UNINIT) may be fresh stack or an unreferenced
// dynptr, never a referenced (ring-buffer) one; every other dynptr argument must be initialised,
// of the type the prototype names. Ring-buffer dynptrs are references, released by
// bpf_ringbuf_submit/discard_dynptr with every clone; a store into a dynptr's bytes destroys it
// (and refuses if it is referenced); slices die when a ring-buffer dynptr is released. Messages are Linux 6.18's
// (test/verifier/dynptr.vcase).

import type { Env } from './env.js';
import { nextId } from './env.js';
import { typeName } from './format.js';
import { constOf } from './num.js';
import { refuse } from './refuse.js';
import {
  Byte,
  type DynptrKind,
  type DynptrSlot,
  EMPTY_SLOT,
  mapRegs,
  NOT_INIT,
  pointer,
  type Reg,
  type State,
  slot,
  UNKNOWN,
  withoutRef,
  writableStack,
} from './state.js';

export const BPF_DYNPTR_SIZE = 16;

/** How a call uses a dynptr argument. */
export type DynptrUse =
  /** MEM_UNINIT: the call constructs a dynptr of this kind there ('clone': the source's kind). */
  | { readonly init: DynptrKind | 'clone' }
  /** An initialised dynptr, of this kind when given. */
  | { readonly kind?: DynptrKind }
  /** OBJ_RELEASE: an initialised ring-buffer dynptr whose reference the call releases. */
  | { readonly release: true };

/** The stack slot holding the dynptr's lower half (the other is `slot - 1`), after the offset checks. */
function dynptrSlot(r: Reg, regno: number, uninit: boolean): number {
  const v = constOf(r.value);
  const then = uninit
    ? 'Dynptr has to be an uninitialized dynptr'
    : `Expected an initialized dynptr as arg #${regno - 1}`;
  if (v === undefined)
    refuse('helper-arguments', `dynptr has to be at a constant offset\n${then}`, { reg: regno });
  const off = r.off + Number(BigInt.asIntN(64, v));
  if (off % 8 !== 0)
    refuse('helper-arguments', `cannot pass in dynptr at an offset=${off}\n${then}`, {
      reg: regno,
      hint: 'declare the struct bpf_dynptr as a local variable (the compiler aligns it to 8 bytes)',
    });
  if (off < -512 || off + BPF_DYNPTR_SIZE > 0)
    refuse('stack-bounds', `invalid write to stack R${regno} off=${off} size=8`, { reg: regno });
  return (-off - 1) >> 3;
}

/** The dynptr `r` points to, checked for `use`; a constructor marks the slots (with a new reference for ring buffers). */
export function dynptrArg(
  env: Env,
  st: State,
  r: Reg,
  regno: number,
  use: DynptrUse,
  pc: number,
  source?: DynptrSlot,
): DynptrSlot {
  if (r.type !== 'fp')
    refuse('helper-arguments', `R${regno} type=${typeName(r.type)} expected=fp, dynptr_ptr`, {
      reg: regno,
      hint: 'pass the address of a struct bpf_dynptr on the stack (&ptr)',
    });
  const f = st.frames[r.frame]!;
  if ('init' in use) {
    const k = dynptrSlot(r, regno, true);
    destroyDynptr(st, r.frame, k);
    destroyDynptr(st, r.frame, k - 1);
    const kind = use.init === 'clone' ? source!.kind : use.init;
    const id = nextId(env);
    let ref = use.init === 'clone' ? source!.ref : 0;
    if (kind === 'ringbuf' && use.init !== 'clone') {
      ref = nextId(env);
      st.refs.push({ id: ref, insn: pc });
    }
    const bytes: Byte[] = new Array(8).fill(Byte.Dynptr);
    const stack = writableStack(f);
    stack[k] = slot(bytes, undefined, { kind, first: true, id, ref });
    stack[k - 1] = slot(bytes, undefined, { kind, first: false, id, ref });
    if (8 * (k + 1) > f.depth) f.depth = 8 * (k + 1);
    return f.stack[k]!.dynptr!;
  }
  const k = dynptrSlot(r, regno, false);
  const lo = f.stack[k]!.dynptr;
  const hi = f.stack[k - 1]!.dynptr;
  const valid = lo !== undefined && hi !== undefined && lo.first && !hi.first && lo.id === hi.id;
  if ('release' in use) {
    if (!valid || lo.ref === 0)
      refuse('reference-release', `arg ${regno} is an unacquired reference`, { reg: regno });
    return lo;
  }
  if (!valid)
    refuse('helper-arguments', `Expected an initialized dynptr as arg #${regno - 1}`, {
      reg: regno,
      hint: 'initialise the dynptr first (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr, bpf_dynptr_from_skb/_xdp)',
    });
  if (use.kind !== undefined && lo.kind !== use.kind)
    refuse('helper-arguments', `Expected a dynptr of type ${use.kind} as arg #${regno - 1}`, { reg: regno });
  return lo;
}

/** Releases a ring-buffer dynptr's reference: every clone's slots are cleared, every slice dies. */
export function releaseDynptr(env: Env, st: State, d: DynptrSlot): void {
  st.refs = withoutRef(st.refs, d.ref);
  for (const f of st.frames)
    for (let k = 0; k < f.stack.length; k++)
      if (f.stack[k]!.dynptr?.ref === d.ref) writableStack(f)[k] = EMPTY_SLOT;
  mapRegs(st, (r) => (r.ref === d.ref ? dead(env) : r));
}

/** A register whose pointer was invalidated (mark_reg_invalid: unknown for root, unreadable otherwise). */
const dead = (env: Env): Reg => (env.privileged ? UNKNOWN : NOT_INIT);

/**
 * destroy_if_dynptr_stack_slot: a write into slot `k` of `frame` that holds half of a dynptr
 * destroys the whole dynptr (both slots invalid), or is refused if it is referenced. Its slices
 * stay usable: they point at the data (or the caller's buffer), not at the dynptr — Linux 6.18
 * keeps them (test/verifier/dynptr.vcase slice-to-map-update), and so does tsbpf.
 */
export function destroyDynptr(st: State, frame: number, k: number): void {
  const f = st.frames[frame]!;
  const d = f.stack[k]?.dynptr;
  if (d === undefined) return;
  if (d.ref !== 0)
    refuse('reference-release', 'cannot overwrite referenced dynptr', {
      hint: 'submit or discard the ring-buffer dynptr before reusing its stack slots',
    });
  const other = d.first ? k - 1 : k + 1;
  const stack = writableStack(f);
  stack[k] = EMPTY_SLOT;
  if (stack[other]?.dynptr?.id === d.id) stack[other] = EMPTY_SLOT;
}

/** Every dynptr with a byte in [lo, hi) (offsets from r10 of `frame`) destroyed, as a store there does. */
export function destroyDynptrsIn(st: State, frame: number, lo: number, hi: number): void {
  for (let k = (-lo - 1) >> 3; k >= 0 && k >= (-(hi - 1) - 1) >> 3; k--) destroyDynptr(st, frame, k);
}

/** A slice of `d`: `size` bytes that may be NULL (PTR_TO_MEM | PTR_MAYBE_NULL, MEM_RDONLY when `rdonly`). */
export function sliceReg(env: Env, d: DynptrSlot, size: number, rdonly: boolean): Reg {
  return pointer(rdonly ? 'rdonly_mem_or_null' : 'mem_or_null', {
    id: nextId(env),
    ref: d.ref,
    memSize: size,
    dynptr: d.id,
    pktSlice: d.kind === 'skb' || d.kind === 'xdp' || d.kind === 'skb_meta',
  });
}
