// BPF_MAP_TYPE_LRU_HASH: a hash that evicts instead of failing with E2BIG when full. This is an
// exact LRU over one list: a program's lookup or any update makes an element the most recent,
// and the least recent one is evicted. The kernel's LRU is approximate (reference bits,
// per-CPU free lists) and may evict before the map is full; user-space lookups touch nothing
// in both. BPF_F_NO_COMMON_LRU is accepted and changes nothing here.

import { HashMap } from './hash.js';

export class LruHashMap extends HashMap {
  /** Recency list per slot: toward the most recent (`#newer`) and the least (`#older`). */
  readonly #newer: number[] = [];
  readonly #older: number[] = [];
  #newest = -1;
  #oldest = -1;

  protected override touched(slot: number): void {
    this.#unlink(slot);
    this.#pushNewest(slot);
  }

  protected override written(slot: number): void {
    this.touched(slot);
  }

  protected override removed(slot: number): void {
    this.#unlink(slot);
  }

  protected override evict(): number {
    const victim = this.#oldest;
    if (victim < 0) return -1;
    this.removeSlot(victim);
    return victim;
  }

  #pushNewest(slot: number): void {
    this.#older[slot] = this.#newest;
    this.#newer[slot] = -1;
    if (this.#newest >= 0) this.#newer[this.#newest] = slot;
    else this.#oldest = slot;
    this.#newest = slot;
  }

  /** Takes `slot` out of the list (a slot not in it is left alone). */
  #unlink(slot: number): void {
    const newer = this.#newer[slot] ?? -1;
    const older = this.#older[slot] ?? -1;
    if (newer >= 0) this.#older[newer] = older;
    else if (this.#newest === slot) this.#newest = older;
    if (older >= 0) this.#newer[older] = newer;
    else if (this.#oldest === slot) this.#oldest = newer;
    this.#newer[slot] = -1;
    this.#older[slot] = -1;
  }
}
