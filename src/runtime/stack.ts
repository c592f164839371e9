// The run stack of the machine ABI (abi.ts), as every engine maps it in the address space: a
// reservation of MAX_CALL_FRAMES frames of FRAME_BYTES, FRAME_STRIDE apart (a guard gap between
// two frames), as one strided window of which only the live frames (frame 0 .. the call depth)
// are accessible; engines move that count on call and exit (AddressSpace.setElements).

import { FRAME_BYTES, FRAME_STRIDE, MAX_CALL_FRAMES } from './abi.js';
import type { AddressSpace, Region } from './memory.js';

/** Bytes one stack spans: MAX_CALL_FRAMES frames and the guard gaps between them. */
export const STACK_SPAN = (MAX_CALL_FRAMES - 1) * FRAME_STRIDE + FRAME_BYTES;

/** Maps a fresh stack with frame 0 live; returns its window (release its `parent` to unmap). */
export function mapStack(space: AddressSpace): Region {
  const res = space.reserve('stack', STACK_SPAN, { kind: 'stack', align: 16 });
  const w = space.mapWindow(res, 'stack', res.start, STACK_SPAN, {
    stride: FRAME_STRIDE,
    elemSize: FRAME_BYTES,
  });
  space.setElements(w, 1);
  return w;
}

/** Makes frames 0 .. depth of a stack live (the others fault). */
export function setLiveFrames(space: AddressSpace, stack: Region, depth: number): void {
  space.setElements(stack, depth + 1);
}

/**
 * The stack of outermost runs, one per address space and shared by all its engines (a stack spans
 * 8 frames and 7 guard gaps, about 260 KiB of linear memory: one per engine would grow the memory
 * with every engine made, and every grow costs a copy and a full GC). `users` counts the engines
 * holding it; `busy` is set while a run is on it, so a run nested in another engine's run (a helper
 * running a second program) takes a stack of its own.
 */
export interface SharedStack {
  readonly region: Region;
  users: number;
  busy: boolean;
}
const SHARED = new WeakMap<AddressSpace, SharedStack>();

/** Joins the space's shared stack (mapped by the first engine that joins). */
export function joinSharedStack(space: AddressSpace): SharedStack {
  let shared = SHARED.get(space);
  if (shared === undefined) {
    shared = { region: mapStack(space), users: 0, busy: false };
    SHARED.set(space, shared);
  }
  shared.users++;
  return shared;
}

/** Leaves the space's shared stack; the last engine to leave unmaps it. */
export function leaveSharedStack(space: AddressSpace, shared: SharedStack): void {
  if (--shared.users > 0) return;
  if (SHARED.get(space) === shared) SHARED.delete(space);
  space.release(shared.region.parent!);
}
