// The index of a hash map in linear memory, for compiled code to probe (the JIT's native
// bpf_map_lookup_elem): open addressing with linear probing, at most half full, in a reservation
// that programs can never access. The map keeps its JavaScript index as the authority and mirrors
// every insert and removal here; entries are laid out as runtime/abi.ts describes.

import { lookupHash, MAX_INDEXED_KEY } from '../abi.js';
import type { AddressSpace, Region } from '../memory.js';

const MIN_CAPACITY = 16;

export class HashIndex {
  readonly #space: AddressSpace;
  readonly keySize: number;
  /** Bytes of one entry: the value address and the key padded to 4 bytes. */
  readonly entryBytes: number;
  #block: Region;
  #capacity: number;
  #count = 0;

  /** Whether keys of this size are indexed (longer ones are looked up in JavaScript only). */
  static fits(keySize: number): boolean {
    return keySize <= MAX_INDEXED_KEY;
  }

  constructor(space: AddressSpace, keySize: number) {
    this.#space = space;
    this.keySize = keySize;
    this.entryBytes = 4 + Math.ceil(keySize / 4) * 4;
    this.#capacity = MIN_CAPACITY;
    this.#block = this.#reserve(this.#capacity);
  }

  /** Address of the index (it moves when the index grows). */
  get address(): number {
    return this.#block.start;
  }

  get mask(): number {
    return this.#capacity - 1;
  }

  /** Adds `key` with its value address (the key must not be in the index). Returns true if the index moved. */
  insert(key: Uint8Array, value: number): boolean {
    let moved = false;
    if ((this.#count + 1) * 2 > this.#capacity) {
      this.#grow();
      moved = true;
    }
    this.#place(key, value);
    this.#count++;
    return moved;
  }

  /** Removes `key` (backward-shift deletion: no tombstones, probes stay short). */
  remove(key: Uint8Array): void {
    const u8 = this.#space.u8;
    const mask = this.mask;
    let i = this.#find(u8, key);
    if (i < 0) return;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const e = this.#entry(j);
      if (this.#space.view.getUint32(e, true) === 0) break;
      const home = lookupHash(u8.subarray(e + 4, e + 4 + this.keySize), this.keySize) & mask;
      // Entry j may fill hole i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      u8.copyWithin(this.#entry(i), e, e + this.entryBytes);
      i = j;
    }
    u8.fill(0, this.#entry(i), this.#entry(i) + this.entryBytes);
    this.#count--;
  }

  release(): void {
    this.#space.release(this.#block);
  }

  #reserve(capacity: number): Region {
    return this.#space.reserve('hash index', capacity * this.entryBytes, { kind: 'map' });
  }

  #entry(i: number): number {
    return this.#block.start + i * this.entryBytes;
  }

  #find(u8: Uint8Array, key: Uint8Array): number {
    const mask = this.mask;
    for (let i = lookupHash(key, this.keySize) & mask; ; i = (i + 1) & mask) {
      const e = this.#entry(i);
      if (this.#space.view.getUint32(e, true) === 0) return -1;
      let same = true;
      for (let b = 0; b < this.keySize && same; b++) same = u8[e + 4 + b] === key[b];
      if (same) return i;
    }
  }

  #place(key: Uint8Array, value: number): void {
    const mask = this.mask;
    const view = this.#space.view;
    let i = lookupHash(key, this.keySize) & mask;
    while (view.getUint32(this.#entry(i), true) !== 0) i = (i + 1) & mask;
    const e = this.#entry(i);
    view.setUint32(e, value, true);
    this.#space.u8.set(key.subarray(0, this.keySize), e + 4);
  }

  /** Doubles the capacity: a fresh reservation, every entry placed again. */
  #grow(): void {
    const old = this.#block;
    const oldCapacity = this.#capacity;
    this.#capacity *= 2;
    this.#block = this.#reserve(this.#capacity);
    const u8 = this.#space.u8;
    for (let i = 0; i < oldCapacity; i++) {
      const e = old.start + i * this.entryBytes;
      const value = this.#space.view.getUint32(e, true);
      if (value !== 0) this.#place(u8.slice(e + 4, e + 4 + this.keySize), value);
    }
    this.#space.release(old);
  }
}
