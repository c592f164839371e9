// A pool of fixed-size element slots in the address space, for the maps whose elements come
// and go (hash types, LPM trie). Capacity is max_entries as the kernel preallocates, but the
// backing regions are mapped in chunks on first need, so a huge max_entries costs nothing
// until used. A slot's address never moves while the map lives. Each chunk is a strided
// region (memory.ts): a slot holds `copies` values (one per CPU for per-CPU maps), each its
// own element, so a program access must lie within one value.

import { elementStride, type Region } from '../memory.js';

/** Address space of one chunk region (a chunk holds at least one slot). */
const CHUNK_BYTES = 256 << 10;

/** Maps `count` elements of the pool's value size, `stride` apart, as one strided region. */
export type StridedAlloc = (label: string, count: number, stride: number) => Region;

export class SlotPool {
  /** Distance between two values (two copies of a slot, or two slots without copies). */
  readonly stride: number;
  /** Address space of one slot: `copies` values. */
  readonly slotSize: number;
  readonly copies: number;
  readonly capacity: number;
  readonly regions: Region[] = [];
  readonly #perChunk: number;
  readonly #alloc: StridedAlloc;
  readonly #free: number[] = [];
  #fresh = 0;
  #used = 0;

  constructor(alloc: StridedAlloc, valueSize: number, copies: number, capacity: number) {
    this.#alloc = alloc;
    this.copies = copies;
    this.stride = elementStride(capacity * copies, valueSize);
    this.slotSize = this.stride * copies;
    this.capacity = capacity;
    this.#perChunk = Math.max(1, Math.min(capacity, Math.floor(CHUNK_BYTES / this.slotSize)));
  }

  get used(): number {
    return this.#used;
  }

  /** A free slot, zeroed by the caller's writes; -1 when all `capacity` slots are in use. */
  acquire(): number {
    let id = this.#free.pop();
    if (id === undefined) {
      if (this.#fresh >= this.capacity) return -1;
      id = this.#fresh++;
      const chunk = Math.floor(id / this.#perChunk);
      if (chunk === this.regions.length) {
        const n = Math.min(this.#perChunk, this.capacity - chunk * this.#perChunk);
        this.regions.push(this.#alloc(`slots${chunk}`, n * this.copies, this.stride));
      }
    }
    this.#used++;
    return id;
  }

  release(id: number): void {
    this.#free.push(id);
    this.#used--;
  }

  address(id: number): number {
    const chunk = Math.floor(id / this.#perChunk);
    return this.regions[chunk]!.start + (id - chunk * this.#perChunk) * this.slotSize;
  }
}

/** A key's bytes as a string, for use as a JS Map key. */
export function keyString(key: Uint8Array): string {
  let s = '';
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
  return s;
}
