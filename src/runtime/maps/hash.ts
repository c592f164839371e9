// BPF_MAP_TYPE_HASH and the machinery of every hash type (per-CPU, LRU): element slots in a
// SlotPool, an index from key bytes to slot, and an insertion-ordered list that get_next_key
// walks (the kernel walks buckets: compare key sets, not orders). Updates write the value in
// place, where the kernel swaps in a fresh element; the address a program holds stays valid.
// Semantics from the kernel's kernel/bpf/hashtab.c.

import { Errno } from '../../uapi/errno.js';
import {
  accessFlagsOk,
  BPF_EXIST,
  BPF_F_ACCESS_MASK,
  BPF_F_LOCK,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_ZERO_SEED,
  BPF_NOEXIST,
  KMALLOC_MAX_SIZE,
  PCPU_MIN_UNIT_SIZE,
  round8,
} from '../../uapi/map-flags.js';
import { LOOKUP_KIND, type LookupLayout } from '../abi.js';
import type { AddressSpace, Region } from '../memory.js';
import { type BatchSupport, BpfMap } from './base.js';
import { HashIndex } from './hash-index.js';
import { keyString, SlotPool } from './slots.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

const HTAB_CREATE_FLAG_MASK =
  BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
/** sizeof(struct htab_elem) on x86-64. */
const HTAB_ELEM_SIZE = 48;
/** sizeof(struct bucket): n_buckets above U32_MAX / this is E2BIG. */
const BUCKET_SIZE = 16;

const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** htab_map_alloc_check() and the size checks of htab_map_alloc(): 0 or a positive errno. */
export function checkHashSpec(spec: MapSpecLike): number {
  const flags = spec.flags ?? 0;
  const lru = spec.type === 'LRU_HASH' || spec.type === 'LRU_PERCPU_HASH';
  const percpu = spec.type === 'PERCPU_HASH' || spec.type === 'LRU_PERCPU_HASH';
  const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
  if (flags & ~HTAB_CREATE_FLAG_MASK || !accessFlagsOk(flags)) return Errno.EINVAL;
  if (!lru && percpuLru) return Errno.EINVAL;
  if (lru && flags & BPF_F_NO_PREALLOC) return Errno.ENOTSUPP;
  if (flags & BPF_F_NUMA_NODE && (percpu || percpuLru)) return Errno.EINVAL;
  if (spec.maxEntries === 0 || spec.keySize === 0 || spec.valueSize === 0) return Errno.EINVAL;
  if (spec.keySize + spec.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return Errno.E2BIG;
  if (percpu && round8(spec.valueSize) > PCPU_MIN_UNIT_SIZE) return Errno.E2BIG;
  if (spec.maxEntries > 2 ** 31 || pow2(spec.maxEntries) > Math.floor(0xffffffff / BUCKET_SIZE))
    return Errno.E2BIG;
  return 0;
}

export class HashMap extends BpfMap {
  protected override readonly batch: BatchSupport = { lookup: true, update: true, delete: true };
  /** Distance between two CPUs' copies of a value, and between two slots' values. */
  readonly stride: number;
  protected readonly pool: SlotPool;
  readonly #index = new Map<string, number>();
  /** Per slot: its key, and its neighbours in insertion order (-1: none). */
  readonly #keys: (Uint8Array | undefined)[] = [];
  readonly #next: number[] = [];
  readonly #prev: number[] = [];
  #head = -1;
  #tail = -1;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    const writable = this.programWritable;
    this.pool = new SlotPool(
      (label, count, stride) => this.allocateStrided(label, count, this.valueSize, stride, 8, writable),
      this.valueSize,
      this.descriptor.percpu ? this.cpus : 1,
      this.maxEntries,
    );
    this.stride = this.pool.stride;
    // Plain hash maps only: the other types' lookups do more than find a slot (LRU touches it,
    // per-CPU picks a copy, devmap hash and hash of maps return something else).
    if (this.type === 'HASH' && HashIndex.fits(this.keySize))
      this.#mirror = new HashIndex(space, this.keySize);
  }

  /** The index compiled code probes (hash-index.ts), mirroring #index. */
  readonly #mirror: HashIndex | undefined;

  override lookupLayout(): LookupLayout {
    const m = this.#mirror;
    if (m === undefined || this.closed) return super.lookupLayout();
    return { kind: LOOKUP_KIND.hash, keySize: this.keySize, a: m.mask, b: m.address, c: m.entryBytes };
  }

  /** Whether programs may write the values they look up (false for devmap hash). */
  protected get programWritable(): boolean {
    return true;
  }

  override get regions(): readonly Region[] {
    return this.pool.regions;
  }

  /** Number of elements. */
  get size(): number {
    return this.#index.size;
  }

  // ---- hooks for LRU ------------------------------------------------------------------------

  /** A program looked the slot up. */
  protected touched(_slot: number): void {}
  /** The slot was inserted or its value replaced. */
  protected written(_slot: number): void {}
  /** The slot is about to be freed. */
  protected removed(_slot: number): void {}
  /** Frees one element to make room when the pool is full; -1 if the type does not evict. */
  protected evict(): number {
    return -1;
  }

  // ---- program side -------------------------------------------------------------------------

  override lookupAddress(key: Uint8Array, cpu = 0): number {
    const slot = this.#index.get(keyString(key));
    if (slot === undefined || !this.#cpuOk(cpu)) return 0;
    this.touched(slot);
    // Only per-CPU values are laid out per CPU; a shared value is the same on every CPU.
    return this.pool.address(slot) + (this.descriptor.percpu ? cpu * this.stride : 0);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu = 0): number {
    if (!this.#cpuOk(cpu)) return -Errno.EINVAL;
    return this.#update(key, flags, (base, fresh) => {
      if (!this.descriptor.percpu) this.writeRaw(base, value.subarray(0, this.valueSize));
      else {
        // pcpu_init_value(): a new element from a program starts zeroed on the other CPUs.
        if (fresh) this.zeroCopies(base, this.stride, this.cpus, round8(this.valueSize));
        this.writeRaw(base + cpu * this.stride, value.subarray(0, this.valueSize));
      }
    });
  }

  override deleteElem(key: Uint8Array): number {
    const k = keyString(key);
    const slot = this.#index.get(k);
    if (slot === undefined) return -Errno.ENOENT;
    this.#remove(k, slot);
    return 0;
  }

  // ---- user side ----------------------------------------------------------------------------

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const slot = this.#index.get(keyString(key));
    if (slot === undefined) return -Errno.ENOENT;
    const base = this.pool.address(slot);
    return this.descriptor.percpu
      ? this.readCopies(base, this.stride, this.cpus, round8(this.valueSize))
      : this.readRaw(base, this.valueSize);
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.#update(key, flags, (base) => {
      // Per-CPU: the syscall copies whole 8-byte words per CPU (copy_map_value_long), padding included.
      if (this.descriptor.percpu) this.writeCopies(base, this.stride, round8(this.valueSize), value);
      else this.writeRaw(base, value);
    });
  }

  protected override sysNextKey(key: Uint8Array | undefined): Uint8Array | number {
    const slot = key === undefined ? undefined : this.#index.get(keyString(key));
    // htab_map_get_next_key(): a missing key restarts at the first element.
    const next = slot === undefined ? this.#head : this.#next[slot]!;
    return next < 0 ? -Errno.ENOENT : this.#keys[next]!.slice();
  }

  protected override sysLookupAndDelete(key: Uint8Array): Uint8Array | number {
    const v = this.sysLookup(key);
    if (typeof v !== 'number') this.deleteElem(key);
    return v;
  }

  protected override released(): void {
    this.#mirror?.release();
    this.#index.clear();
    this.#keys.length = 0;
  }

  // ---- internals ------------------------------------------------------------------------------

  #update(key: Uint8Array, flags: number, write: (base: number, fresh: boolean) => void): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    if (flags & BPF_F_LOCK) return -Errno.EINVAL; // no bpf_spin_lock in the value
    const k = keyString(key);
    const old = this.#index.get(k);
    if (old !== undefined) {
      if (flags === BPF_NOEXIST) return -Errno.EEXIST;
      write(this.pool.address(old), false);
      this.written(old);
      return 0;
    }
    if (flags === BPF_EXIST) return -Errno.ENOENT;
    let slot = this.pool.acquire();
    if (slot < 0) {
      if (this.evict() < 0) return -Errno.E2BIG;
      slot = this.pool.acquire();
    }
    const base = this.pool.address(slot);
    this.zeroCopies(base, this.stride, this.pool.copies, round8(this.valueSize));
    write(base, true);
    this.#index.set(k, slot);
    this.#keys[slot] = key.slice();
    if (this.#mirror?.insert(key, base)) this.onLayoutChange?.();
    this.#prev[slot] = this.#tail;
    this.#next[slot] = -1;
    if (this.#tail >= 0) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
    this.written(slot);
    return 0;
  }

  /** Removes the element in `slot` (used by eviction too). */
  protected removeSlot(slot: number): void {
    const key = this.#keys[slot];
    if (key !== undefined) this.#remove(keyString(key), slot);
  }

  #remove(k: string, slot: number): void {
    this.removed(slot);
    this.#index.delete(k);
    const key = this.#keys[slot];
    if (key !== undefined) this.#mirror?.remove(key);
    this.#keys[slot] = undefined;
    const p = this.#prev[slot]!;
    const n = this.#next[slot]!;
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
    this.pool.release(slot);
  }

  #cpuOk(cpu: number): boolean {
    return Number.isInteger(cpu) && cpu >= 0 && (!this.descriptor.percpu || cpu < this.cpus);
  }
}
