// The kernel side of a UMEM's buffers in copy mode (net/xdp/xsk_buff_pool.c): a buffer comes from
// the pool's free list first (buffers it took and could not use), else from the FILL ring. An
// empty FILL ring counts queue_empty_descs; an entry outside the UMEM counts invalid_descs and
// is skipped (xp_alloc / xp_check_aligned). Nothing taken is lost: it is handed out or kept on
// the free list.

import type { ConsumerRing } from '../../runtime/xsk/ring.js';
import { chunkOf, type UmemGeometry } from '../../runtime/xsk/umem.js';

export class BuffPool {
  readonly #geometry: UmemGeometry;
  readonly #fill: ConsumerRing;
  readonly #free: number[] = [];
  /** The FILL queue's queue_empty_descs (reported as rx_fill_ring_empty_descs). */
  fillEmpty = 0;
  /** The FILL queue's invalid_descs: entries outside the UMEM, skipped. */
  fillInvalid = 0;

  constructor(geometry: UmemGeometry, fill: ConsumerRing) {
    this.#geometry = geometry;
    this.#fill = fill;
  }

  /** Chunks the pool holds on its free list (taken from FILL, not yet given to user space). */
  get held(): number {
    return this.#free.length;
  }

  /** xp_alloc: the chunk start of a free buffer, or -1 when there is none. */
  alloc(): number {
    const kept = this.#free.pop();
    if (kept !== undefined) return kept;
    for (;;) {
      const span = this.#fill.peek(1);
      if (span.count === 0) {
        this.fillEmpty++;
        return -1;
      }
      const addr = this.#fill.addr(span.idx);
      this.#fill.release(1);
      if (addr < this.#geometry.size) return chunkOf(this.#geometry, addr);
      this.fillInvalid++;
    }
  }

  /** xp_free: a buffer taken but not delivered goes back to the free list. */
  free(chunk: number): void {
    this.#free.push(chunk);
  }
}
