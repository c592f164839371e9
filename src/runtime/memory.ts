// The linear address space every engine shares: one WebAssembly.Memory divided into bounded
// regions (stack frames, ctx, packet, map values, ...). Pointers are plain addresses into it.
// This file holds the allocator, reservations and their windows, strided regions, the region
// lookup with its one-entry hit cache, the region table mirrored in linear memory (abi.ts) and
// checked accessors; it knows nothing of instructions. The first 64 KiB are never accessible.

import { MemoryFault } from '../errors.js';
import {
  GUARD_GAP,
  MAP_HANDLES,
  MIN_ELEM_GAP,
  NULL_GUARD,
  REGION_ENTRIES,
  REGION_ENTRY_BYTES,
  REGION_KIND,
  REGION_TABLE,
  REGION_TABLE_MAGIC,
  REGION_WRITABLE,
  RUN_CPU,
  STRIDED_SPAN,
} from './abi.js';

/**
 * The part of a WebAssembly.Memory the space uses. Declared here because the ES2022 lib has no
 * WebAssembly types; a real WebAssembly.Memory fits it structurally.
 */
export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum?: number }) => LinearMemory;
};

/** What a region holds; engines and helpers use it to describe faults and pick accessors. */
export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map' | 'ringbuf' | 'mem' | 'global' | 'scratch';

export interface Region {
  readonly name: string;
  readonly kind: RegionKind;
  /** First byte of the region (an address in the space). */
  readonly start: number;
  readonly size: number;
  /** One past the last byte. */
  readonly end: number;
  readonly writable: boolean;
  /** Strided regions: distance between elements (0 or absent: one plain range). */
  readonly stride?: number;
  /** Strided regions: accessible bytes at the start of each element. */
  readonly elemSize?: number;
  /** A reservation: its bytes are not accessible, only the windows mapped in it. */
  readonly reserved?: boolean;
  /** A window: the reservation it lies in. */
  readonly parent?: Region | undefined;
}

export interface AllocateOptions {
  readonly kind: RegionKind;
  /** Default true. */
  readonly writable?: boolean;
  /** Alignment of the start address, a power of two; default 8. */
  readonly align?: number;
}

export interface AddressSpaceOptions {
  /** Back the space with this memory instead of a fresh one (e.g. one a Wasm module exports). */
  readonly memory?: LinearMemory;
  /** Initial size in 64 KiB pages of a fresh memory (default 16: a stack and a few maps fit without growing). */
  readonly initialPages?: number;
}

const PAGE = 0x10000;
/** Wasm pages in 4 GiB, the most a 32-bit memory holds. */
const MAX_PAGES = 0x10000;

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** list.splice(k, 0, x) without the array splice allocates for its result (a test run does several). */
function insertAt<T>(list: T[], k: number, x: T): void {
  list.push(x);
  for (let j = list.length - 1; j > k; j--) list[j] = list[j - 1]!;
  list[k] = x;
}

/** list.splice(k, 1), likewise. */
function removeAt<T>(list: T[], k: number): void {
  for (let j = k; j < list.length - 1; j++) list[j] = list[j + 1]!;
  list.pop();
}

/** The one mutable shape behind every Region the space hands out. */
class Span implements Region {
  name: string;
  readonly kind: RegionKind;
  start: number;
  size: number;
  end: number;
  readonly writable: boolean;
  readonly stride: number;
  readonly elemSize: number;
  readonly reserved: boolean;
  readonly parent: Span | undefined;
  /** Windows of a reservation (including the implicit one of a plain region). */
  readonly windows: Span[] = [];
  /** A plain region's block (not a reservation), which release() of the region frees too. */
  block: Span | undefined = undefined;
  /** Index in the region table (-1: not accessible). */
  slot = -1;
  /** Unmapped by hide(): its space stays allocated until release(). */
  hidden = false;
  /** Word 4 of its table entry (abi.ts), computed once: a keyed lookup per entry write showed in profiles. */
  readonly entryFlags: number;
  /** Strided windows: live elements as setElements() last set them (0: all). */
  count = 0;
  constructor(
    name: string,
    kind: RegionKind,
    start: number,
    size: number,
    writable: boolean,
    stride: number,
    elemSize: number,
    reserved: boolean,
    parent: Span | undefined,
  ) {
    this.name = name;
    this.kind = kind;
    this.start = start;
    this.size = size;
    this.end = start + size;
    this.writable = writable;
    this.stride = stride;
    this.elemSize = elemSize;
    this.reserved = reserved;
    this.parent = parent;
    this.entryFlags = (writable ? REGION_WRITABLE : 0) | (REGION_KIND[kind] << 8);
  }
}

/**
 * The stride of `count` elements of `elemSize` bytes: the size rounded to 8 plus a gap of
 * GUARD_GAP, or less when the span would pass STRIDED_SPAN (never below MIN_ELEM_GAP).
 */
export function elementStride(count: number, elemSize: number): number {
  const size = Math.max(8, Math.ceil(elemSize / 8) * 8);
  const room = Math.floor(STRIDED_SPAN / Math.max(1, count)) - size;
  const gap = Math.min(GUARD_GAP, Math.max(MIN_ELEM_GAP, Math.floor(room / 16) * 16));
  return size + gap;
}

export class AddressSpace {
  readonly memory: LinearMemory;
  /** Top-level blocks (plain regions' reservations and explicit reservations), by start. */
  readonly #blocks: Span[] = [];
  /** Accessible regions (plain regions and windows), by start; mirrored in the region table. */
  readonly #regions: Span[] = [];
  #u8: Uint8Array;
  #view: DataView;
  /** Memory above this has never been handed out and is still zero from growth. */
  #highWater = NULL_GUARD;
  /** The CPU last stored at RUN_CPU (-1: none yet, or a shared memory, where it is not cached). */
  #runCpu = -1;
  /** Where the region table's entries live and how many fit there. */
  #tableAt = REGION_ENTRIES;
  #tableCap = (NULL_GUARD - REGION_ENTRIES) / REGION_ENTRY_BYTES;
  #tableBlock: Span | undefined;
  /**
   * Bounds of the last range a check hit: a whole plain region, or one element of a strided
   * one. Engines read these three fields for a cheap inline test.
   */
  hitStart = 0;
  hitEnd = 0;
  hitWritable = false;
  /**
   * Changes whenever an accessible range may have shrunk or moved (table rewrites, window moves,
   * fewer live frames): an engine that caches ranges (the JIT) drops its caches when it changes.
   */
  epoch = 0;

  constructor(options: AddressSpaceOptions = {}) {
    this.memory = options.memory ?? new WebAssembly.Memory({ initial: options.initialPages ?? 16 });
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#view = new DataView(this.memory.buffer);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && this.memory.buffer instanceof SharedArrayBuffer;
    // A memory handed in may hold anything: treat all of it as used (zeroed when handed out).
    if (options.memory !== undefined) this.#highWater = options.memory.buffer.byteLength;
    this.#ensure(NULL_GUARD);
    this.#writeTable(0);
    // No map lookup table yet (abi.ts MAP_HANDLES): a memory handed in may hold anything there.
    this.view.setUint32(MAP_HANDLES, 0, true);
    this.view.setUint32(MAP_HANDLES + 4, 0, true);
    this.setRunCpu(0); // CPU 0 until a collection's run says otherwise
  }

  /**
   * Sets the CPU of the run about to start at abi.ts RUN_CPU (compiled per-CPU lookups read it).
   * Stored only when it changes: the view's freshness check and the store cost ~6 ns, a third of
   * a single JIT run. Over a shared memory another thread's space writes it too: stored always.
   */
  setRunCpu(cpu: number): void {
    if (cpu !== this.#runCpu) this.#storeRunCpu(cpu);
  }

  #storeRunCpu(cpu: number): void {
    this.view.setUint32(RUN_CPU, cpu, true);
    if (!this.shared) this.#runCpu = cpu;
  }

  /** A byte view of the whole space; fetch it again after anything that may allocate. */
  get u8(): Uint8Array {
    if (this.#stale()) this.refresh();
    return this.#u8;
  }

  /** A DataView of the whole space; same freshness rule as `u8`. */
  get view(): DataView {
    if (this.#stale()) this.refresh();
    return this.#view;
  }

  /**
   * Whether the views predate a growth: a grown Wasm memory detaches its old buffer (a typed
   * array over it then has length 0; a DataView's byteLength would throw), so that is all
   * a plain memory needs — reading `memory.buffer` every time costs more than the check. A
   * shared memory never detaches: its buffer is compared.
   */
  #stale(): boolean {
    return this.#u8.length === 0 || (this.shared && this.#u8.buffer !== this.memory.buffer);
  }
  /** Backed by a SharedArrayBuffer: it never detaches when it grows, so views are re-read. */
  readonly shared: boolean;

  /** Rebuilds the views after the memory grew (growth detaches the old buffer). */
  refresh(): void {
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#view = new DataView(this.memory.buffer);
  }

  /** The accessible regions, sorted by start (the region table holds the same list). */
  get regions(): readonly Region[] {
    return this.#regions;
  }

  /** The top-level blocks: every plain region and every reservation, sorted by start. */
  get reservations(): readonly Region[] {
    return this.#blocks;
  }

  /** Maps a fresh zeroed region of `size` bytes. */
  allocate(name: string, size: number, options: AllocateOptions): Region {
    const block = this.#place(name, size, options.kind, options.align ?? 8, false);
    return this.#window(block, name, block.start, size, options.writable ?? true, 0, size);
  }

  /**
   * Maps `count` elements of `elemSize` bytes, `stride` apart (default elementStride()): an
   * access must lie within one element, so each element is bounded without a region of its own.
   */
  allocateStrided(
    name: string,
    count: number,
    elemSize: number,
    options: AllocateOptions & { readonly stride?: number },
  ): Region {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`region ${name}: invalid count ${count}`);
    if (!Number.isInteger(elemSize) || elemSize < 1)
      throw new RangeError(`region ${name}: invalid size ${elemSize}`);
    const stride = options.stride ?? elementStride(count, elemSize);
    if (stride < elemSize) throw new RangeError(`region ${name}: stride ${stride} < element ${elemSize}`);
    const size = (count - 1) * stride + elemSize;
    const block = this.#place(name, size, options.kind, options.align ?? 8, false);
    return this.#window(block, name, block.start, size, options.writable ?? true, stride, elemSize);
  }

  /**
   * Reserves `size` bytes of address space that are not accessible until windows are mapped in
   * them with mapWindow() (a packet frame, a ring buffer's data, a stack's frames).
   */
  reserve(
    name: string,
    size: number,
    options: { readonly kind: RegionKind; readonly align?: number },
  ): Region {
    return this.#place(name, size, options.kind, options.align ?? 8, true);
  }

  /**
   * Makes [start, start + size) of `reservation` accessible (zero-size windows allow nothing);
   * with `stride`/`elemSize` only the first elemSize bytes of each stride are.
   */
  mapWindow(
    reservation: Region,
    name: string,
    start: number,
    size: number,
    options: { readonly writable?: boolean; readonly stride?: number; readonly elemSize?: number } = {},
  ): Region {
    const block = this.#own(reservation);
    if (!block.reserved) throw new RangeError(`region ${block.name} is not a reservation`);
    this.#inside(block, start, size);
    return this.#window(
      block,
      name,
      start,
      size,
      options.writable ?? true,
      options.stride ?? 0,
      options.elemSize ?? size,
    );
  }

  /** Moves a window within its reservation (a helper moved the packet); the hit cache is dropped. */
  moveWindow(window: Region, start: number, size: number): void {
    const w = this.#own(window);
    const block = w.parent;
    if (block === undefined || !block.reserved) throw new RangeError(`region ${w.name} is not a window`);
    this.#inside(block, start, size);
    this.#clearHit();
    if (w.hidden) {
      AddressSpace.#setBounds(w, start, size);
      return;
    }
    const rs = this.#regions;
    const k = this.#indexOf(w);
    // The usual move keeps the window's index (the one #insertAt would give it: every region
    // before it starts lower, the next one no lower): only its own table entry changes.
    if ((k === 0 || rs[k - 1]!.start < start) && (k === rs.length - 1 || rs[k + 1]!.start >= start)) {
      this.epoch++;
      AddressSpace.#setBounds(w, start, size);
      this.#writeEntry(this.view, k);
      return;
    }
    removeAt(rs, k);
    AddressSpace.#setBounds(w, start, size);
    const at = this.#insertAt(rs, start);
    insertAt(rs, at, w);
    this.#writeTable(Math.min(k, at));
  }

  static #setBounds(w: Span, start: number, size: number): void {
    w.start = start;
    w.size = size;
    w.end = start + size;
    if (w.stride === 0) (w as { elemSize: number }).elemSize = size;
  }

  /**
   * Makes a plain region or window inaccessible while keeping its space (and its windows' place
   * in their reservation) until show() or release(): a parked test-run context costs no
   * allocation when it is used again, and no program reaches it meanwhile.
   */
  hide(region: Region): void {
    const r = this.#own(region);
    if (r.hidden) return;
    const k = this.#indexOf(r);
    removeAt(this.#regions, k);
    r.slot = -1;
    r.hidden = true;
    if (this.hitEnd > r.start && this.hitStart < Math.max(r.end, r.start + 1)) this.#clearHit();
    this.#writeTable(k);
  }

  /** Maps a region hide() parked back at its (possibly moved) place. */
  show(region: Region): void {
    const r = this.#own(region);
    if (!r.hidden) return;
    r.hidden = false;
    const at = this.#insertAt(this.#regions, r.start);
    insertAt(this.#regions, at, r);
    this.#writeTable(at);
  }

  /**
   * Sets how many elements of a strided window are accessible (the stack's live frames):
   * cheaper than moveWindow, for the call path. The hit cache is dropped when it held a
   * frame that is no longer live.
   */
  setElements(window: Region, count: number): void {
    const w = window as Span;
    if (count === w.count) return;
    w.count = count;
    const end = w.start + (count - 1) * w.stride + w.elemSize;
    if (end < w.end) {
      this.epoch++;
      if (this.hitEnd > end) this.#clearHit();
    }
    w.end = end;
    w.size = end - w.start;
    // A grown (non-shared) memory detaches the old buffer: byteLength 0 says refresh.
    if (this.#stale()) this.refresh();
    if (w.slot >= 0) this.#view.setUint32(this.#tableAt + w.slot * REGION_ENTRY_BYTES + 4, end, true);
  }

  /** Unmaps a region, a window, or a reservation with all its windows; its addresses fault from now on. */
  release(region: Region): void {
    const r = this.#own(region);
    const block = r.reserved ? r : r.parent === undefined ? r.block : undefined;
    if (block === undefined) {
      this.#unmap(r);
      return;
    }
    const k = this.#blocks.indexOf(block);
    if (k < 0) throw new RangeError(`region ${region.name} is not mapped`);
    // #unmap takes each window out of block.windows: unmap from the last one down.
    const ws = block.windows;
    while (ws.length > 0) this.#unmap(ws[ws.length - 1]!);
    removeAt(this.#blocks, k);
  }

  /** The region that holds all of [addr, addr + size), if any (within one element if strided). Updates the hit cache. */
  find(addr: number, size: number): Region | undefined {
    const rs = this.#regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end && !(r.size === 0 && addr === r.start)) lo = mid + 1;
      else {
        if (addr + size > r.end) return undefined;
        if (r.stride === 0) {
          this.hitStart = r.start;
          this.hitEnd = r.end;
        } else {
          const off = (addr - r.start) % r.stride;
          if (off + size > r.elemSize) return undefined;
          this.hitStart = addr - off;
          this.hitEnd = addr - off + r.elemSize;
        }
        this.hitWritable = r.writable;
        return r;
      }
    }
    return undefined;
  }

  /**
   * The plain region or reservation whose span holds `addr`, accessible or not (e.g. the ring
   * buffer that owns a record), if any.
   */
  blockAt(addr: number): Region | undefined {
    const k = this.#insertAt(this.#blocks, addr + 1) - 1;
    const b = this.#blocks[k];
    if (b === undefined || addr < b.start || addr >= Math.max(b.end, b.start + 1)) return undefined;
    return b.reserved ? b : b.windows[0];
  }

  /**
   * Describes the region closest to `addr`, e.g. `stack 'stack' [0x10000, 0x10200) +0x208`; for
   * a strided region the element, and a window names its reservation.
   */
  describeNearest(addr: number | bigint): string | undefined {
    let best: Span | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    const a = typeof addr === 'bigint' ? (addr >= 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(addr)) : addr;
    // NULL and small offsets from it: naming whichever region happens to sit lowest would mislead.
    if (a >= 0 && a < NULL_GUARD)
      return `the null page [0x0, ${hex(NULL_GUARD)}), no region (NULL + ${hex(a)})`;
    for (const r of this.#regions) {
      const d = a < r.start ? r.start - a : a >= r.end ? a - r.end + 1 : 0;
      if (d < bestDistance) {
        best = r;
        bestDistance = d;
      }
    }
    if (best === undefined) return undefined;
    const ro = best.writable ? '' : ' read-only';
    const where = a - best.start;
    if (best.stride !== 0 && where >= 0) {
      const count = Math.floor((best.size - best.elemSize) / best.stride) + 1;
      const k = Math.min(count - 1, Math.floor(where / best.stride));
      const s = best.start + k * best.stride;
      const rel = a - s;
      const off = rel >= 0 ? `+${hex(rel)}` : `-${hex(-rel)}`;
      const what = best.kind === 'stack' ? 'frame' : 'element';
      return `${best.kind} '${best.name}'${ro} ${what} ${k} of ${count} [${hex(s)}, ${hex(s + best.elemSize)}) ${off}`;
    }
    const rel = where >= 0 ? `+${hex(where)}` : `-${hex(-where)}`;
    const inside = best.parent?.reserved
      ? ` (window of ${hex(best.parent.start)}..${hex(best.parent.end)})`
      : '';
    return `${best.kind} '${best.name}'${ro} [${hex(best.start)}, ${hex(best.end)})${inside} ${rel}`;
  }

  /**
   * Checks an access and returns the address as a number, or throws MemoryFault naming `pc`
   * (-1 when the access is not an instruction's, e.g. a helper's).
   */
  check(addr: number | bigint, size: number, access: 'read' | 'write', pc = -1): number {
    if (typeof addr === 'number') {
      if (addr >= this.hitStart && addr + size <= this.hitEnd && (access === 'read' || this.hitWritable))
        return addr;
    }
    const a = typeof addr === 'bigint' ? (addr >= 0n && addr < 2n ** 32n ? Number(addr) : -1) : addr;
    const r = a >= 0 ? this.find(a, size) : undefined;
    if (r === undefined || (access === 'write' && !r.writable)) {
      const big = typeof addr === 'bigint' ? BigInt.asUintN(64, addr) : BigInt.asUintN(64, BigInt(addr));
      throw new MemoryFault(pc, access, big, size, this.describeNearest(big));
    }
    return a;
  }

  /** A checked view of `len` bytes at `addr` (valid until the next allocation). */
  bytes(addr: number | bigint, len: number, access: 'read' | 'write' = 'read'): Uint8Array {
    const a = this.check(addr, len, access);
    return this.u8.subarray(a, a + len);
  }

  readU8(addr: number | bigint): number {
    return this.view.getUint8(this.check(addr, 1, 'read'));
  }
  readU16(addr: number | bigint): number {
    return this.view.getUint16(this.check(addr, 2, 'read'), true);
  }
  readU32(addr: number | bigint): number {
    return this.view.getUint32(this.check(addr, 4, 'read'), true);
  }
  readU64(addr: number | bigint): bigint {
    return this.view.getBigUint64(this.check(addr, 8, 'read'), true);
  }
  writeU8(addr: number | bigint, v: number): void {
    this.view.setUint8(this.check(addr, 1, 'write'), v);
  }
  writeU16(addr: number | bigint, v: number): void {
    this.view.setUint16(this.check(addr, 2, 'write'), v, true);
  }
  writeU32(addr: number | bigint, v: number): void {
    this.view.setUint32(this.check(addr, 4, 'write'), v >>> 0, true);
  }
  writeU64(addr: number | bigint, v: bigint): void {
    this.view.setBigUint64(this.check(addr, 8, 'write'), BigInt.asUintN(64, v), true);
  }
  /** Copies `data` into the space at `addr` (checked as a write). */
  writeBytes(addr: number | bigint, data: Uint8Array): void {
    this.bytes(addr, data.length, 'write').set(data);
  }

  // ---- allocation -------------------------------------------------------------------------

  /** Finds room for a block of `size` bytes (first fit, GUARD_GAP from its neighbours) and zeroes it. */
  #place(name: string, size: number, kind: RegionKind, align: number, reserved: boolean): Span {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`region ${name}: invalid size ${size}`);
    if (align <= 0 || (align & (align - 1)) !== 0)
      throw new RangeError(`region ${name}: bad alignment ${align}`);
    const span = Math.max(size, 1);
    const up = (a: number) => Math.ceil(a / align) * align;
    const bs = this.#blocks;
    let start = -1;
    let index = bs.length;
    // The first block starts GUARD_GAP above the null guard so that NULL + 32767 faults too.
    let prevEnd = NULL_GUARD + GUARD_GAP;
    for (let k = 0; k < bs.length; k++) {
      const b = bs[k]!;
      const s = up(prevEnd);
      if (s + span + GUARD_GAP <= b.start) {
        start = s;
        index = k;
        break;
      }
      prevEnd = Math.max(b.end, b.start + 1) + GUARD_GAP;
    }
    // Above the last block: released space at the top is reused, so a run that maps and
    // unmaps its stack every time does not creep upward and grow the memory.
    if (start < 0) start = up(prevEnd);
    const end = start + size;
    if (end + GUARD_GAP > 2 ** 32) throw new RangeError(`region ${name}: address space exhausted (4 GiB)`);
    this.#ensure(end + GUARD_GAP);
    const block = new Span(name, kind, start, size, false, 0, size, reserved, undefined);
    insertAt(bs, index, block);
    // Memory above the high-water mark is still zero from growth: touching it would cost RSS.
    if (start < this.#highWater) this.u8.fill(0, start, Math.min(end, this.#highWater));
    this.#highWater = Math.max(this.#highWater, end);
    return block;
  }

  #window(
    block: Span,
    name: string,
    start: number,
    size: number,
    writable: boolean,
    stride: number,
    elemSize: number,
  ): Span {
    const parent = block.reserved ? block : undefined;
    const w = new Span(name, block.kind, start, size, writable, stride, elemSize, false, parent);
    block.windows.push(w);
    // A plain region stands for its block: release() of the region frees both.
    if (!block.reserved) w.block = block;
    const at = this.#insertAt(this.#regions, start);
    insertAt(this.#regions, at, w);
    this.#writeTable(at);
    return w;
  }

  #unmap(w: Span): void {
    const hidden = w.hidden;
    const k = hidden ? -1 : this.#indexOf(w);
    if (!hidden) removeAt(this.#regions, k);
    w.slot = -1;
    w.hidden = false;
    const owner = w.parent ?? w.block;
    if (owner !== undefined) {
      const j = owner.windows.lastIndexOf(w);
      if (j >= 0) removeAt(owner.windows, j);
    }
    if (this.hitEnd > w.start && this.hitStart < Math.max(w.end, w.start + 1)) this.#clearHit();
    if (!hidden) this.#writeTable(k);
  }

  /** Index of a mapped region in the start-sorted list (its table slot when that is current). */
  #indexOf(r: Span): number {
    const k = r.slot >= 0 && this.#regions[r.slot] === r ? r.slot : this.#regions.indexOf(r);
    if (k < 0) throw new RangeError(`region ${r.name} is not mapped`);
    return k;
  }

  /** A region this space handed out, as its mutable self (or a RangeError). */
  #own(region: Region): Span {
    if (!(region instanceof Span)) throw new RangeError(`region ${region.name} is not mapped`);
    return region;
  }

  #inside(block: Span, start: number, size: number): void {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(size) ||
      size < 0 ||
      start < block.start ||
      start + size > block.end
    )
      throw new RangeError(
        `window [${hex(start)}, +${size}) outside ${block.name} [${hex(block.start)}, ${hex(block.end)})`,
      );
  }

  /** Index of the first element of a start-sorted list whose start is >= `addr`. */
  #insertAt(list: readonly Span[], addr: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.start < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---- the region table (abi.ts) ----------------------------------------------------------------

  /** Rewrites the table's entries from `from` on and its header. */
  #writeTable(from: number): void {
    this.epoch++;
    const rs = this.#regions;
    if (rs.length > this.#tableCap) this.#growTable(rs.length);
    const v = this.view;
    for (let k = from; k < rs.length; k++) this.#writeEntry(v, k);
    v.setUint32(REGION_TABLE, REGION_TABLE_MAGIC, true);
    v.setUint32(REGION_TABLE + 4, rs.length, true);
    v.setUint32(REGION_TABLE + 8, this.#tableAt, true);
    v.setUint32(REGION_TABLE + 12, this.#tableCap, true);
  }

  /** Writes the table entry of the region at index `k` (and records the slot in it). */
  #writeEntry(v: DataView, k: number): void {
    const r = this.#regions[k]!;
    r.slot = k;
    const e = this.#tableAt + k * REGION_ENTRY_BYTES;
    v.setUint32(e, r.start, true);
    v.setUint32(e + 4, r.end, true);
    v.setUint32(e + 8, r.stride, true);
    v.setUint32(e + 12, r.elemSize, true);
    v.setUint32(e + 16, r.entryFlags, true);
    v.setUint32(e + 20, r.parent === undefined ? 0 : r.parent.start, true);
    v.setUint32(e + 24, 0, true);
    v.setUint32(e + 28, 0, true);
  }

  /** Moves the entries to a reserved block twice as large as needed (rare: thousands of regions). */
  #growTable(need: number): void {
    const cap = Math.max(need * 2, this.#tableCap * 2);
    const block = this.#place('region table', cap * REGION_ENTRY_BYTES, 'scratch', 64, true);
    const old = this.#tableBlock;
    this.#tableAt = block.start;
    this.#tableCap = cap;
    this.#tableBlock = block;
    if (old !== undefined) this.#blocks.splice(this.#blocks.indexOf(old), 1);
    // The caller rewrites every entry from its index; rewrite the rest here.
    this.#writeTable(0);
  }

  /**
   * Grows the memory to hold `end`: by half its size at least, so that a run of allocations (a
   * data path's 64 RX contexts, ~72 KiB apart with their guard gaps) grows it a few times rather
   * than once each (a grow measured tens of microseconds under load). Pages past the high-water mark are never
   * touched until handed out, so the extra costs address space, not RSS. A memory whose maximum
   * refuses the larger step grows by what is needed.
   */
  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const need = Math.ceil((end - have) / PAGE);
    const pages = have / PAGE;
    const step = Math.max(need, Math.min(pages >>> 1, MAX_PAGES - pages));
    try {
      this.memory.grow(step);
    } catch (e) {
      if (step === need) throw e;
      this.memory.grow(need);
    }
    this.refresh();
  }

  #clearHit(): void {
    this.hitStart = 0;
    this.hitEnd = 0;
    this.hitWritable = false;
  }
}
