// The linear address space every engine shares: one WebAssembly.Memory divided into named,
// bounded regions (stack, ctx, packet, map values, ...). Pointers are plain addresses into it.
// This file holds the allocator, the region lookup and checked accessors; it knows nothing of
// instructions. The first 64 KiB are never mapped so that NULL and small offsets from it fault.

import { MemoryFault } from '../errors.js';
import { NULL_GUARD } from './abi.js';

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
  /** Initial size in 64 KiB pages of a fresh memory (default 4). */
  readonly initialPages?: number;
}

/** Bytes left unmapped between regions, so an overrun of one never lands silently in the next. */
export const REGION_GAP = 64;
const PAGE = 0x10000;

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

export class AddressSpace {
  readonly memory: LinearMemory;
  /** Regions sorted by start address. */
  readonly #regions: Region[] = [];
  /** Highest end (plus gap) handed out so far; fresh allocations go here when no hole fits. */
  #u8: Uint8Array;
  #view: DataView;
  /** Last region a check hit; engines read these three fields for a cheap inline test. */
  hitStart = 0;
  hitEnd = 0;
  hitWritable = false;

  constructor(options: AddressSpaceOptions = {}) {
    this.memory = options.memory ?? new WebAssembly.Memory({ initial: options.initialPages ?? 4 });
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#view = new DataView(this.memory.buffer);
  }

  /** A byte view of the whole space; fetch it again after anything that may allocate. */
  get u8(): Uint8Array {
    if (this.#u8.byteLength === 0 || this.#u8.buffer !== this.memory.buffer) this.refresh();
    return this.#u8;
  }

  /** A DataView of the whole space; same freshness rule as `u8`. */
  get view(): DataView {
    if (this.#view.byteLength === 0 || this.#view.buffer !== this.memory.buffer) this.refresh();
    return this.#view;
  }

  /** Rebuilds the views after the memory grew (growth detaches the old buffer). */
  refresh(): void {
    this.#u8 = new Uint8Array(this.memory.buffer);
    this.#view = new DataView(this.memory.buffer);
  }

  get regions(): readonly Region[] {
    return this.#regions;
  }

  /** Maps a fresh zeroed region of `size` bytes. */
  allocate(name: string, size: number, options: AllocateOptions): Region {
    const align = options.align ?? 8;
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`region ${name}: invalid size ${size}`);
    if (align <= 0 || (align & (align - 1)) !== 0)
      throw new RangeError(`region ${name}: bad alignment ${align}`);
    const span = Math.max(size, 1);
    const up = (a: number) => Math.ceil(a / align) * align;
    // First fit in the holes left by released regions, else at the top.
    let start = -1;
    let index = this.#regions.length;
    let prevEnd = NULL_GUARD;
    for (let k = 0; k < this.#regions.length; k++) {
      const r = this.#regions[k]!;
      const s = up(prevEnd);
      if (s + span + REGION_GAP <= r.start) {
        start = s;
        index = k;
        break;
      }
      prevEnd = r.end + REGION_GAP;
    }
    // Above the last region: released space at the top is reused, so a run that maps and
    // unmaps its stack every time does not creep upward and grow the memory.
    if (start < 0) start = up(prevEnd);
    const end = start + size;
    if (end > 2 ** 32) throw new RangeError(`region ${name}: address space exhausted (4 GiB)`);
    this.#ensure(end + REGION_GAP);
    const region: Region = Object.freeze({
      name,
      kind: options.kind,
      start,
      size,
      end,
      writable: options.writable ?? true,
    });
    this.#regions.splice(index, 0, region);
    this.u8.fill(0, start, end);
    return region;
  }

  /** Unmaps a region; its addresses fault from now on and may be reused. */
  release(region: Region): void {
    const k = this.#regions.indexOf(region);
    if (k < 0) throw new RangeError(`region ${region.name} is not mapped`);
    this.#regions.splice(k, 1);
    if (this.hitStart === region.start && this.hitEnd === region.end) this.#clearHit();
  }

  /** The region that holds all of [addr, addr + size), if any. Updates the hit cache. */
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
        this.hitStart = r.start;
        this.hitEnd = r.end;
        this.hitWritable = r.writable;
        return r;
      }
    }
    return undefined;
  }

  /** Describes the region closest to `addr`, e.g. `stack [0x10000, 0x11000) +0x1008`. */
  describeNearest(addr: number | bigint): string | undefined {
    let best: Region | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    const a = typeof addr === 'bigint' ? (addr >= 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(addr)) : addr;
    for (const r of this.#regions) {
      const d = a < r.start ? r.start - a : a >= r.end ? a - r.end + 1 : 0;
      if (d < bestDistance) {
        best = r;
        bestDistance = d;
      }
    }
    if (best === undefined) return undefined;
    const where = a - best.start;
    const rel = where >= 0 ? `+${hex(where)}` : `-${hex(-where)}`;
    const ro = best.writable ? '' : ' read-only';
    return `${best.kind} '${best.name}'${ro} [${hex(best.start)}, ${hex(best.end)}) ${rel}`;
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

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    this.memory.grow(Math.ceil((end - have) / PAGE));
    this.refresh();
  }

  #clearHit(): void {
    this.hitStart = 0;
    this.hitEnd = 0;
    this.hitWritable = false;
  }
}
