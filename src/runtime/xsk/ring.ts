// The AF_XDP ring protocol over a byte view: one single-producer/single-consumer ring of
// power-of-two size laid out as the kernel's struct xdp_ring (producer, consumer, flags, then the
// entries). Both sides of a ring use these classes: user code (libxdp's verbs) and the simulated
// kernel in net/afxdp, and the real kernel's mmapped rings in kernel/xsk.ts — one protocol, two
// memories. Indices are free-running u32 counters; an entry lives at index & (size - 1).
// Each side keeps cached copies of both indices (as libxdp's xsk_ring_prod/xsk_ring_cons and the
// kernel's xsk_queue do) and reads the other side's index only when its cache runs out.
//
// Memory order: on x86-64 (TSO) plain loads and stores in program order are enough to pair
// with the kernel's smp_load_acquire/smp_store_release; other hosts would need fences.

import { XDP_ADDR_SIZE, XDP_DESC_SIZE, XDP_RING_NEED_WAKEUP } from '../../uapi/if-xdp.js';

/** Where the parts of a ring lie in its memory (XDP_MMAP_OFFSETS' struct xdp_ring_offset). */
export interface RingLayout {
  readonly producer: number;
  readonly consumer: number;
  readonly flags: number;
  readonly desc: number;
}

/** struct xdp_desc: one frame (or fragment) in the UMEM. */
export interface XdpDesc {
  readonly addr: number;
  readonly len: number;
  readonly options: number;
}

/** A run of `count` entries starting at free-running index `idx` (what peek gives). */
export interface RingSpan {
  readonly idx: number;
  readonly count: number;
}

const TWO_32 = 2 ** 32;

/** True for 1, 2, 4, ... 2^31: the kernel's xskq_create refuses other ring sizes (EINVAL). */
export function isRingSize(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 2 ** 31 && (n & (n - 1)) === 0;
}

/** Bytes a ring of `size` entries of `entrySize` bytes occupies with `layout`. */
export function ringBytes(layout: RingLayout, size: number, entrySize: number): number {
  return layout.desc + size * entrySize;
}

abstract class XskRing {
  readonly size: number;
  readonly mask: number;
  /** Bytes per entry: 8 (FILL, COMPLETION: a UMEM address) or 16 (RX, TX: struct xdp_desc). */
  readonly entrySize: number;
  protected view: DataView;
  protected readonly layout: RingLayout;
  protected cachedProd = 0;
  protected cachedCons = 0;

  constructor(view: DataView, layout: RingLayout, size: number, entrySize: number) {
    if (!isRingSize(size)) throw new RangeError(`ring size ${size} is not a power of two`);
    if (entrySize !== XDP_ADDR_SIZE && entrySize !== XDP_DESC_SIZE)
      throw new RangeError(`ring entry size ${entrySize} is neither 8 nor 16`);
    if (view.byteLength < ringBytes(layout, size, entrySize))
      throw new RangeError(`ring memory of ${view.byteLength} bytes is too small`);
    this.view = view;
    this.layout = layout;
    this.size = size;
    this.mask = size - 1;
    this.entrySize = entrySize;
  }

  /**
   * Cuts the ring from its memory (the kernel backend calls this before munmap): any later
   * access throws RangeError instead of touching unmapped memory.
   */
  detach(): void {
    this.view = new DataView(new ArrayBuffer(0));
  }

  /** The shared producer index as stored in the ring. */
  get producer(): number {
    return this.view.getUint32(this.layout.producer, true);
  }

  /** The shared consumer index as stored in the ring. */
  get consumer(): number {
    return this.view.getUint32(this.layout.consumer, true);
  }

  get flags(): number {
    return this.view.getUint32(this.layout.flags, true);
  }

  /** xsk_ring_prod__needs_wakeup: the kernel sleeps until a syscall wakes it. */
  needWakeup(): boolean {
    return (this.flags & XDP_RING_NEED_WAKEUP) !== 0;
  }

  /** Sets or clears XDP_RING_NEED_WAKEUP: the kernel side's job (xsk_set/clear_*_need_wakeup). */
  setNeedWakeup(on: boolean): void {
    const f = this.flags;
    this.view.setUint32(this.layout.flags, on ? f | XDP_RING_NEED_WAKEUP : f & ~XDP_RING_NEED_WAKEUP, true);
  }

  /** Entries published and not yet released (from the shared indices). */
  get filled(): number {
    return (this.producer - this.consumer) >>> 0;
  }

  protected at(idx: number): number {
    return this.layout.desc + (idx & this.mask) * this.entrySize;
  }

  /** Entry `idx` as a UMEM address (FILL, COMPLETION). */
  addr(idx: number): number {
    const at = this.at(idx);
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * TWO_32;
  }

  /** Entry `idx` as a descriptor (RX, TX). */
  desc(idx: number): XdpDesc {
    const at = this.at(idx);
    return {
      addr: this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * TWO_32,
      len: this.view.getUint32(at + 8, true),
      options: this.view.getUint32(at + 12, true),
    };
  }
}

/** The producing side of a ring: user code on FILL and TX, the kernel on RX and COMPLETION. */
export class ProducerRing extends XskRing {
  constructor(view: DataView, layout: RingLayout, size: number, entrySize: number) {
    super(view, layout, size, entrySize);
    this.cachedProd = this.producer;
    this.cachedCons = (this.consumer + size) >>> 0;
  }

  /** Free entries, re-reading the consumer only when the cache shows fewer than `wanted`. */
  nbFree(wanted: number): number {
    const free = (this.cachedCons - this.cachedProd) >>> 0;
    if (free >= wanted) return free;
    this.cachedCons = (this.consumer + this.size) >>> 0;
    return (this.cachedCons - this.cachedProd) >>> 0;
  }

  /** xsk_ring_prod__reserve: `n` entries or none; the first index, or -1 when fewer are free. */
  reserve(n: number): number {
    if (this.nbFree(n) < n) return -1;
    const idx = this.cachedProd;
    this.cachedProd = (this.cachedProd + n) >>> 0;
    return idx;
  }

  /** xsk_ring_prod__submit: publishes `n` reserved entries to the consumer. */
  submit(n: number): void {
    this.view.setUint32(this.layout.producer, (this.producer + n) >>> 0, true);
  }

  /** Gives back the last `n` reserved, unsubmitted entries (the kernel's xskq_prod_cancel_n). */
  cancel(n: number): void {
    this.cachedProd = (this.cachedProd - n) >>> 0;
  }

  setAddr(idx: number, addr: number): void {
    const at = this.at(idx);
    this.view.setUint32(at, addr >>> 0, true);
    this.view.setUint32(at + 4, Math.floor(addr / TWO_32), true);
  }

  setDesc(idx: number, addr: number, len: number, options = 0): void {
    const at = this.at(idx);
    this.view.setUint32(at, addr >>> 0, true);
    this.view.setUint32(at + 4, Math.floor(addr / TWO_32), true);
    this.view.setUint32(at + 8, len >>> 0, true);
    this.view.setUint32(at + 12, options >>> 0, true);
  }
}

/** The consuming side: the kernel on FILL and TX, user code on RX and COMPLETION. */
export class ConsumerRing extends XskRing {
  constructor(view: DataView, layout: RingLayout, size: number, entrySize: number) {
    super(view, layout, size, entrySize);
    this.cachedCons = this.consumer;
    this.cachedProd = this.producer;
  }

  /**
   * Entries available (at most `max`), re-reading the producer only when the cache holds fewer
   * than `max` (the kernel's xskq_cons_nb_entries; libxdp re-reads only on an empty cache).
   */
  nbAvail(max: number): number {
    let entries = (this.cachedProd - this.cachedCons) >>> 0;
    if (entries < max) {
      this.cachedProd = this.producer;
      entries = (this.cachedProd - this.cachedCons) >>> 0;
    }
    return Math.min(entries, max);
  }

  /** xsk_ring_cons__peek: up to `max` entries to read; release them when done. */
  peek(max: number): RingSpan {
    const count = this.nbAvail(max);
    const idx = this.cachedCons;
    this.cachedCons = (this.cachedCons + count) >>> 0;
    return { idx, count };
  }

  /** xsk_ring_cons__release: hands `n` read entries back to the producer. */
  release(n: number): void {
    this.view.setUint32(this.layout.consumer, (this.consumer + n) >>> 0, true);
  }

  /** xsk_ring_cons__cancel: un-reads the last `n` peeked, unreleased entries. */
  cancel(n: number): void {
    this.cachedCons = (this.cachedCons - n) >>> 0;
  }
}
