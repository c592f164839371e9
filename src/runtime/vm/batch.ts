// A batch of XDP contexts that a data path runs one program over in one call into the engine
// (a NAPI poll's up to 64 frames, Engine.runBatch): the contexts, the table of their addresses
// and of the runs' r0 in the address space (where compiled code reads and writes them; a
// reservation, so no program can reach it), and each run's redirect outcome.

import type { XdpContext } from '../context/xdp.js';
import type { AddressSpace, Region } from '../memory.js';

/** Where one run's bpf_redirect / bpf_redirect_map pointed (map key or ifindex, map id, flags). */
export interface RedirectOutcome {
  ifindex: number;
  map: number | undefined;
  flags: bigint;
}

/** Whether typed arrays read little-endian here (as Wasm memory is). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export class ContextBatch {
  readonly space: AddressSpace;
  readonly contexts: readonly XdpContext[];
  readonly redirects: readonly RedirectOutcome[];
  /**
   * Outcomes 0..touched-1 may hold a redirect from the last batch (the runs that kept one); the
   * rest are clear. The next batch clears only those.
   */
  touched = 0;
  /** u32 context addresses at `table.start`, then u32 results. */
  readonly table: Region;

  constructor(space: AddressSpace, contexts: readonly XdpContext[]) {
    this.space = space;
    this.contexts = contexts;
    this.redirects = contexts.map(() => ({ ifindex: 0, map: undefined, flags: 0n }));
    this.#results = LITTLE_ENDIAN ? new Uint32Array(0) : new Uint32Array(contexts.length);
    this.table = space.reserve('batch table', 8 * contexts.length, { kind: 'scratch', align: 8 });
    const v = space.view;
    for (const [k, c] of contexts.entries()) v.setUint32(this.table.start + 4 * k, c.struct.start, true);
  }

  get capacity(): number {
    return this.contexts.length;
  }

  /** Address of the u32 address of context `k`. */
  addressAt(k: number): number {
    return this.table.start + 4 * k;
  }

  /** Address of run `k`'s result. */
  resultAt(k: number): number {
    return this.table.start + 4 * (this.contexts.length + k);
  }

  /** r0 (u32) of run `k`. */
  result(k: number): number {
    return this.space.view.getUint32(this.resultAt(k), true);
  }

  /**
   * The r0 (u32) of runs 0..capacity-1: a view of the table in the space, so reading a poll's
   * verdicts copies nothing. Fetch it again after anything that may grow the memory (growth
   * detaches the view; the table stays where it is). On a big-endian host, a copy instead
   * (the table is little-endian, as all of the space).
   */
  results(): Uint32Array {
    let r = this.#results;
    if (r.length === 0 || !LITTLE_ENDIAN) {
      const first = this.resultAt(0);
      const n = this.contexts.length;
      if (LITTLE_ENDIAN) r = new Uint32Array(this.space.memory.buffer, first, n);
      else {
        const v = this.space.view;
        for (let k = 0; k < n; k++) r[k] = v.getUint32(first + 4 * k, true);
      }
      this.#results = r;
    }
    return r;
  }

  /** The view results() hands out (empty until first asked; detached after a growth). */
  #results: Uint32Array;

  release(): void {
    for (const c of this.contexts) c.release();
    this.space.release(this.table);
  }
}
