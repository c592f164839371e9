// BPF_MAP_TYPE_PERF_EVENT_ARRAY: slots (one per CPU, as libbpf uses it) empty or holding a
// PERF_COUNT_SW_BPF_OUTPUT event whose ring gets bpf_perf_event_output's samples. The kernel takes
// a perf_event_open fd; here user space opens a PerfEventBuffer through the map and stores its id.
// Not here: other event types, overwrite rings, wakeups. Facts: kernel/bpf/arraymap.c (fd array),
// kernel/trace/bpf_trace.c, kernel/events/ring_buffer.c; the helper is in helpers/perf.ts.

import { TsbpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { BPF_ANY, BPF_F_PRESERVE_ELEMS } from '../../uapi/map-flags.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import { keyIndex, u32Bytes } from './base.js';
import { checkFdArraySpec } from './prog-array.js';
import { RefArrayMap, u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** BPF_F_INDEX_MASK / BPF_F_CURRENT_CPU / BPF_F_CTXLEN_MASK (uapi <linux/bpf.h>). */
export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = 0xffffffffn;
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** sizeof(struct perf_event_header): { u32 type; u16 misc; u16 size }. */
const PERF_EVENT_HEADER_SIZE = 8;
/** A PERF_RECORD_LOST record: header, u64 id, u64 lost (no sample_id_all, as libbpf opens it). */
const PERF_RECORD_LOST_SIZE = 24;
/** Pages of one ring by default (libbpf's callers commonly pass 8, bpftool 16). */
export const DEFAULT_PERF_PAGES = 8;

/** fd_array_map_alloc_check(), with BPF_F_PRESERVE_ELEMS allowed: only perf event arrays take it. */
export function checkPerfEventArraySpec(spec: MapSpecLike): number {
  return checkFdArraySpec({ ...spec, flags: (spec.flags ?? 0) & ~BPF_F_PRESERVE_ELEMS });
}

/** What libbpf's perf_buffer hands its callbacks: a sample (sample_cb) or a count of lost ones (lost_cb). */
export type PerfRecord =
  | { readonly type: 'sample'; readonly cpu: number; readonly data: Uint8Array }
  | { readonly type: 'lost'; readonly cpu: number; readonly lost: number };

export interface PerfEventOptions {
  /** The CPU the event is bound to (perf_event_open's cpu); default: the slot's index. */
  readonly cpu?: number;
  /** Data pages of the ring, a power of two (perf_buffer__new's page_cnt); default 8. */
  readonly pages?: number;
}

/**
 * One perf event and its ring as user space sees it after mmap. Records take their size in the
 * ring (header, u32 size, raw data padded to 8) until consumed; a record that does not fit is
 * lost, and the next one that fits is preceded by a PERF_RECORD_LOST with the count. A sample's
 * data keeps the padding, as libbpf hands it over; the kernel skips those bytes (stale ring
 * contents), here they are zero.
 */
export class PerfEventBuffer {
  readonly id: number;
  readonly cpu: number;
  /** Bytes of the data area (pages x 4096). */
  readonly size: number;
  readonly #records: { record: PerfRecord; bytes: number }[] = [];
  #used = 0;
  #pendingLost = 0;
  #totalLost = 0;

  /** @internal made by PerfEventArrayMap.openEvent(). */
  constructor(id: number, cpu: number, pages: number) {
    this.id = id;
    this.cpu = cpu;
    this.size = pages * PAGE_SIZE;
  }

  /** Bytes the unconsumed records take in the ring. */
  get used(): number {
    return this.#used;
  }
  /** Samples lost to a full ring since the buffer was opened. */
  get lost(): number {
    return this.#totalLost;
  }

  /**
   * perf_event_output() of one PERF_SAMPLE_RAW sample whose raw data is `raw` (what the program
   * gave: meta then packet bytes): 0, or -ENOSPC when the ring is full (the sample is lost).
   */
  output(raw: Uint8Array): number {
    // perf_prepare_sample(): the u32 size plus the data is padded to a multiple of 8.
    const padded = Math.ceil((raw.length + 4) / 8) * 8;
    const sampleBytes = PERF_EVENT_HEADER_SIZE + padded;
    const lostBytes = this.#pendingLost > 0 ? PERF_RECORD_LOST_SIZE : 0;
    // ring_buffer_has_space(): CIRC_SPACE leaves one byte free.
    if (this.size - 1 - this.#used < lostBytes + sampleBytes) {
      this.#pendingLost++;
      this.#totalLost++;
      return -Errno.ENOSPC;
    }
    if (lostBytes > 0) {
      const record: PerfRecord = { type: 'lost', cpu: this.cpu, lost: this.#pendingLost };
      this.#records.push({ record, bytes: lostBytes });
      this.#pendingLost = 0;
    }
    const data = new Uint8Array(padded - 4);
    data.set(raw);
    this.#records.push({ record: { type: 'sample', cpu: this.cpu, data }, bytes: sampleBytes });
    this.#used += lostBytes + sampleBytes;
    return 0;
  }

  /** Takes up to `limit` records, oldest first, freeing their room (perf_buffer__consume_buffer). */
  consume(limit = Number.POSITIVE_INFINITY): PerfRecord[] {
    const out: PerfRecord[] = [];
    while (out.length < limit && this.#records.length > 0) {
      const { record, bytes } = this.#records.shift()!;
      this.#used -= bytes;
      out.push(record);
    }
    return out;
  }

  /** Unconsumed records (a copy of the list; the records themselves are not copied). */
  peek(): PerfRecord[] {
    return this.#records.map((r) => r.record);
  }
}

export class PerfEventArrayMap extends RefArrayMap {
  protected override readonly fdArray = true;
  readonly #events = new Map<number, PerfEventBuffer>();
  #nextId = 1;

  // ---- user side: perf_event_open + mmap, and the slots ---------------------------------------

  /**
   * Opens a BPF output event bound to `cpu` with a ring of `pages` pages and returns it; its `id`
   * is what a slot's value holds (the kernel's perf event fd).
   */
  openEvent(options: { readonly cpu: number; readonly pages?: number }): PerfEventBuffer {
    const pages = options.pages ?? DEFAULT_PERF_PAGES;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0 || pages > 1 << 16)
      throw new TsbpfError('INVALID_ARGUMENT', `${this.what}: pages must be a power of two, is ${pages}`);
    if (!Number.isInteger(options.cpu) || options.cpu < 0 || options.cpu >= this.cpus)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${this.what}: cpu must be 0..${this.cpus - 1}, is ${options.cpu}`,
      );
    const ev = new PerfEventBuffer(this.#nextId++, options.cpu, pages);
    this.#events.set(ev.id, ev);
    return ev;
  }

  /** Opens an event (bound to CPU `index` unless told) and stores it in slot `index`. */
  open(index: number, options: PerfEventOptions = {}): PerfEventBuffer {
    const ev = this.openEvent({
      cpu: options.cpu ?? index,
      ...(options.pages === undefined ? {} : { pages: options.pages }),
    });
    this.update(u32Bytes(index), u32Bytes(ev.id));
    return ev;
  }

  /** What perf_buffer__new does: one event per CPU, in slot = CPU, for min(cpus, max_entries) CPUs. */
  openAll(options: { readonly pages?: number } = {}): PerfEventBuffer[] {
    const n = Math.min(this.cpus, this.maxEntries);
    const out: PerfEventBuffer[] = [];
    for (let cpu = 0; cpu < n; cpu++) out.push(this.open(cpu, options));
    return out;
  }

  /** The event in slot `index`, or undefined for an empty slot. */
  eventAt(index: number): PerfEventBuffer | undefined {
    const id = this.words(index)?.[0];
    return id === undefined ? undefined : this.#events.get(id);
  }

  /** Every opened event (in or out of a slot), in opening order. */
  get events(): readonly PerfEventBuffer[] {
    return [...this.#events.values()];
  }

  /** Takes the records of every event, in opening order (perf_buffer__consume). */
  consume(limit = Number.POSITIVE_INFINITY): PerfRecord[] {
    const out: PerfRecord[] = [];
    for (const ev of this.#events.values()) out.push(...ev.consume(limit - out.length));
    return out;
  }

  /** Closes an event: it leaves every slot that holds it (as closing the last fd reference would). */
  closeEvent(ev: PerfEventBuffer): void {
    for (let i = 0; i < this.maxEntries; i++) if (this.words(i)?.[0] === ev.id) this.clear(i);
    this.#events.delete(ev.id);
  }

  // ---- program side -------------------------------------------------------------------------

  /**
   * __bpf_perf_event_output(): `index` from the flags (BPF_F_CURRENT_CPU: `cpu`), the run on
   * `cpu`. 0, or -E2BIG (index past max_entries), -ENOENT (empty slot), -EOPNOTSUPP (the event
   * is bound to another CPU), -ENOSPC (ring full).
   */
  outputSample(index: bigint, cpu: number, raw: Uint8Array): number {
    const i = index === BPF_F_CURRENT_CPU ? cpu : Number(index);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const ev = this.eventAt(i);
    if (ev === undefined) return -Errno.ENOENT;
    if (ev.cpu !== cpu) return -Errno.EOPNOTSUPP;
    return ev.output(raw);
  }

  /** Programs never get a value (fd_array_map_lookup_elem is -EOPNOTSUPP). */
  override lookupAddress(_key: Uint8Array): number {
    return 0;
  }

  // ---- syscall element commands (bpf_fd_array_map_*) ----------------------------------------

  /** No map_fd_sys_lookup_elem: BPF_MAP_LOOKUP_ELEM is ENOTSUPP, set slot or not. */
  protected override sysLookup(): number {
    return -Errno.ENOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    // perf_event_get(): a value that is no perf event is EBADF.
    if (!this.#events.has(u32At(value, 0))) return -Errno.EBADF;
    this.set(index, value);
    return 0;
  }

  protected override released(): void {
    this.#events.clear();
  }
}
