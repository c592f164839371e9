// BPF_MAP_TYPE_RINGBUF: a multi-producer, single-consumer byte ring of max_entries bytes (a power
// of two, page-aligned). Each record is an 8-byte header { u32 len | BUSY/DISCARD bits; u32
// pg_off } and its data, rounded up to 8. The kernel maps the data pages twice so a record
// that wraps stays contiguous; here the region is 2 x size and positions index into it the same
// way, so producer and consumer agree without copying. Semantics from kernel/bpf/ringbuf.c.
// The data area is a reservation (memory.ts): a program may touch only the records it has
// reserved, each a window of exactly its size that submit or discard unmaps.
//
//   consumer_pos ... [hdr|data....][hdr|busy....][hdr|discarded]... producer_pos

import { Errno } from '../../uapi/errno.js';
import { BPF_F_NUMA_NODE, MAX_MAP_BYTES } from '../../uapi/map-flags.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import type { AddressSpace, Region } from '../memory.js';
import { BpfMap } from './base.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

/** BPF_RINGBUF_BUSY_BIT / BPF_RINGBUF_DISCARD_BIT / BPF_RINGBUF_HDR_SZ (uapi). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
export const BPF_RINGBUF_HDR_SZ = 8;
/** bpf_ringbuf_output/submit/discard flags. */
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query flags. */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
/** RINGBUF_MAX_RECORD_SZ: UINT_MAX / 4. */
const RINGBUF_MAX_RECORD_SZ = 0xffffffff >>> 2;

/** ringbuf_map_alloc()'s checks: 0 or a positive errno. */
export function checkRingbufSpec(spec: MapSpecLike): number {
  const n = spec.maxEntries;
  if ((spec.flags ?? 0) & ~BPF_F_NUMA_NODE) return Errno.EINVAL;
  if (spec.keySize !== 0 || spec.valueSize !== 0) return Errno.EINVAL;
  if (n === 0 || (n & (n - 1)) !== 0 || n % PAGE_SIZE !== 0) return Errno.EINVAL;
  if (2 * n > MAX_MAP_BYTES) return Errno.ENOMEM;
  return 0;
}

export class RingBufMap extends BpfMap {
  readonly #region: Region;
  readonly #mask: number;
  #consumerPos = 0;
  #producerPos = 0;
  /** Positions of records reserved and not yet submitted or discarded, oldest first. */
  readonly #pending: number[] = [];
  /** The window of each pending record a program reserved (by position). */
  readonly #windows = new Map<number, Region>();
  /** Wakeups the kernel would have sent to a poller (for tests and event loops). */
  wakeups = 0;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.#mask = this.maxEntries - 1;
    this.#region = this.space.reserve(`${this.name || 'ringbuf'}:data`, 2 * this.maxEntries, {
      kind: 'ringbuf',
      align: PAGE_SIZE,
    });
  }

  override get regions(): readonly Region[] {
    return this.closed ? [] : [this.#region];
  }

  get consumerPos(): number {
    return this.#consumerPos;
  }
  get producerPos(): number {
    return this.#producerPos;
  }
  /** Bytes between consumer and producer (BPF_RB_AVAIL_DATA). */
  get availableData(): number {
    return this.#producerPos - this.#consumerPos;
  }

  // ---- program side ---------------------------------------------------------------------------

  /** bpf_ringbuf_reserve: the address of `size` writable bytes, or 0 when there is no room. */
  reserve(size: number, flags = 0): number {
    const addr = this.#reserve(size, flags);
    if (addr !== 0) {
      const pos = this.#pending[this.#pending.length - 1]!;
      this.#windows.set(
        pos,
        this.space.mapWindow(this.#region, `${this.name || 'ringbuf'}:record`, addr, size),
      );
    }
    return addr;
  }

  #reserve(size: number, flags: number): number {
    if (flags !== 0 || size > RINGBUF_MAX_RECORD_SZ) return 0;
    const len = Math.ceil((size + BPF_RINGBUF_HDR_SZ) / 8) * 8;
    if (len > this.maxEntries) return 0;
    const prod = this.#producerPos;
    const next = prod + len;
    const pend = this.#pending[0] ?? prod;
    if (next - this.#consumerPos > this.#mask || next - pend > this.#mask) return 0;
    const hdr = this.#region.start + (prod & this.#mask);
    const view = this.space.view;
    view.setUint32(hdr, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    // pg_off: the header's page within the data area (the kernel counts from the ringbuf struct).
    view.setUint32(hdr + 4, (prod & this.#mask) >>> 12, true);
    this.#pending.push(prod);
    this.#producerPos = next;
    return hdr + BPF_RINGBUF_HDR_SZ;
  }

  /** bpf_ringbuf_submit: commits the record at `addr` (as reserve returned it). */
  submit(addr: number, flags = 0): number {
    return this.#commit(addr, flags, false);
  }

  /** bpf_ringbuf_discard: marks the record at `addr` discarded; the consumer skips it. */
  discard(addr: number, flags = 0): number {
    return this.#commit(addr, flags, true);
  }

  /** bpf_ringbuf_output: reserve, copy `data`, submit; -EAGAIN when there is no room. */
  output(data: Uint8Array, flags = 0): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -Errno.EINVAL;
    const addr = this.#reserve(data.length, 0);
    if (addr === 0) return -Errno.EAGAIN;
    this.writeRaw(addr, data);
    return this.#commit(addr, flags, false);
  }

  /** bpf_ringbuf_query. */
  query(flags: number): bigint {
    switch (flags) {
      case BPF_RB_AVAIL_DATA:
        return BigInt(this.availableData);
      case BPF_RB_RING_SIZE:
        return BigInt(this.maxEntries);
      case BPF_RB_CONS_POS:
        return BigInt(this.#consumerPos);
      case BPF_RB_PROD_POS:
        return BigInt(this.#producerPos);
      default:
        return 0n;
    }
  }

  /** Whether `addr` is the data address of a reserved, uncommitted record. */
  isReserved(addr: number): boolean {
    return this.#pending.some((p) => this.#region.start + (p & this.#mask) + BPF_RINGBUF_HDR_SZ === addr);
  }

  #commit(addr: number, flags: number, discard: boolean): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -Errno.EINVAL;
    const k = this.#pending.findIndex(
      (p) => this.#region.start + (p & this.#mask) + BPF_RINGBUF_HDR_SZ === addr,
    );
    if (k < 0) return -Errno.EINVAL;
    const pos = this.#pending[k]!;
    this.#pending.splice(k, 1);
    const w = this.#windows.get(pos);
    if (w !== undefined) {
      this.#windows.delete(pos);
      this.space.release(w);
    }
    const hdr = addr - BPF_RINGBUF_HDR_SZ;
    const view = this.space.view;
    let len = view.getUint32(hdr, true) & ~BPF_RINGBUF_BUSY_BIT;
    if (discard) len |= BPF_RINGBUF_DISCARD_BIT;
    view.setUint32(hdr, len >>> 0, true);
    // The kernel wakes the consumer when it has caught up to this record, unless told otherwise.
    if (flags & BPF_RB_FORCE_WAKEUP || (!(flags & BPF_RB_NO_WAKEUP) && this.#consumerPos === pos))
      this.wakeups++;
    return 0;
  }

  // ---- consumer side (what libbpf's ring_buffer__consume does through the mmapped pages) ----

  /**
   * Takes every committed record from the consumer position on, stopping at the first one still
   * busy; discarded records are skipped. Each record is a copy of its data. `limit` caps the count.
   */
  consume(limit = Number.POSITIVE_INFINITY): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.drain((data) => {
      out.push(data.slice());
    }, limit);
    return out;
  }

  /** As consume(), handing each record's bytes (a view, valid during the call) to `f`. */
  drain(f: (data: Uint8Array) => void, limit = Number.POSITIVE_INFINITY): number {
    let n = 0;
    const view = this.space.view;
    while (this.#consumerPos < this.#producerPos && n < limit) {
      const hdr = this.#region.start + (this.#consumerPos & this.#mask);
      const word = view.getUint32(hdr, true);
      if (word & BPF_RINGBUF_BUSY_BIT) break;
      const len = word & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      if (!(word & BPF_RINGBUF_DISCARD_BIT)) {
        f(this.space.u8.subarray(hdr + BPF_RINGBUF_HDR_SZ, hdr + BPF_RINGBUF_HDR_SZ + len));
        n++;
      }
      this.#consumerPos += Math.ceil((len + BPF_RINGBUF_HDR_SZ) / 8) * 8;
    }
    return n;
  }

  protected override released(): void {
    this.#windows.clear();
  }

  // ---- syscall element commands: the kernel answers ENOTSUPP to all of them -----------------

  protected override sysLookup(): number {
    return -Errno.ENOTSUPP;
  }
  protected override sysUpdate(): number {
    return -Errno.ENOTSUPP;
  }
  protected override sysDelete(): number {
    return -Errno.ENOTSUPP;
  }
  protected override sysNextKey(): number {
    return -Errno.ENOTSUPP;
  }
  override updateElem(): number {
    return -Errno.ENOTSUPP;
  }
  override deleteElem(): number {
    return -Errno.ENOTSUPP;
  }
}
