// BPF_MAP_TYPE_ARRAY (and the shared machinery of PERCPU_ARRAY): max_entries values in strided
// regions (memory.ts), each its own element with a gap after it, so a program access must lie
// within one value; per-CPU arrays keep each entry's CPUs side by side, one element per CPU.
// Every key below max_entries exists from creation (all zero); delete is EINVAL.
// Semantics from the kernel's kernel/bpf/arraymap.c.
//
// The kernel preallocates every value; here an array larger than one chunk is committed lazily:
// its entries live in chunks of CHUNK_SPAN address space mapped on first need (a program's
// lookup or update, a user-side update). Until then a chunk reads as zeros from user space
// without being mapped, so a 33-million-entry array costs what is touched. Mmapable arrays and
// single-chunk arrays are mapped whole at creation (one contiguous region, as before).

import { Errno } from '../../uapi/errno.js';
import {
  accessFlagsOk,
  BPF_EXIST,
  BPF_F_ACCESS_MASK,
  BPF_F_INNER_MAP,
  BPF_F_LOCK,
  BPF_F_MMAPABLE,
  BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS,
  BPF_NOEXIST,
  MAX_MAP_BYTES,
  PCPU_MIN_UNIT_SIZE,
  round8,
} from '../../uapi/map-flags.js';
import { LOOKUP_KIND, type LookupLayout } from '../abi.js';
import { type AddressSpace, elementStride, type Region } from '../memory.js';
import { type BatchSupport, BpfMap, indexNextKey, keyIndex, u32Bytes } from './base.js';
import { MapBatch } from './batch.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

const ARRAY_CREATE_FLAG_MASK =
  BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;

/** array_map_alloc_check() (plus tsbpf's ENOMEM bound): 0 or a positive errno. */
export function checkArraySpec(spec: MapSpecLike): number {
  const flags = spec.flags ?? 0;
  const percpu = spec.type === 'PERCPU_ARRAY';
  if (spec.maxEntries === 0 || spec.keySize !== 4 || spec.valueSize === 0) return Errno.EINVAL;
  if (flags & ~ARRAY_CREATE_FLAG_MASK || !accessFlagsOk(flags)) return Errno.EINVAL;
  if (percpu && flags & BPF_F_NUMA_NODE) return Errno.EINVAL;
  if (spec.type !== 'ARRAY' && flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) return Errno.EINVAL;
  if (flags & BPF_F_PRESERVE_ELEMS) return Errno.EINVAL; // perf event arrays only
  if (spec.valueSize > 0x7fffffff) return Errno.E2BIG;
  if (percpu && round8(spec.valueSize) > PCPU_MIN_UNIT_SIZE) return Errno.E2BIG;
  // Mmapable arrays are one contiguous region; lazily committed ones are bounded by the address space.
  if (flags & BPF_F_MMAPABLE && spec.maxEntries * round8(spec.valueSize) > MAX_MAP_BYTES) return Errno.ENOMEM;
  return 0;
}

/** Address space of one lazily mapped chunk of a large array. */
const CHUNK_SPAN = 4 << 20;

export class ArrayMap extends BpfMap {
  protected override readonly batch: BatchSupport = { lookup: true, update: true, delete: false };
  /** Distance between two CPUs' copies of one value (and between values without per-CPU). */
  readonly stride: number;
  /** Distance between two entries. */
  readonly entryStride: number;
  /** Entries per chunk (maxEntries when the array is one region). */
  readonly chunkEntries: number;
  /** Mapped chunks by chunk number; undefined: never touched, all zeros. */
  readonly #chunks: (Region | undefined)[];
  readonly #mapped: Region[] = [];

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    const copies = this.descriptor.percpu ? this.cpus : 1;
    this.stride = elementStride(this.maxEntries * copies, this.valueSize);
    this.entryStride = this.stride * copies;
    const whole = this.flags & BPF_F_MMAPABLE || this.maxEntries * this.entryStride <= CHUNK_SPAN;
    this.chunkEntries = whole ? this.maxEntries : Math.max(1, Math.floor(CHUNK_SPAN / this.entryStride));
    this.#chunks = new Array(Math.ceil(this.maxEntries / this.chunkEntries));
    if (whole) this.#chunk(0, 'BPF_MAP_CREATE');
  }

  override get regions(): readonly Region[] {
    return this.closed ? [] : this.#mapped;
  }

  /** How many chunks are mapped (memory committed to the address space) of `chunkCount`. */
  get mappedChunks(): number {
    return this.#mapped.length;
  }

  get chunkCount(): number {
    return this.#chunks.length;
  }

  /** Chunk `n`, mapped now if it never was (zeroed: fresh address space). */
  #chunk(n: number, op = 'BPF_MAP_UPDATE_ELEM'): Region {
    const have = this.#chunks[n];
    if (have !== undefined) return have;
    const copies = this.descriptor.percpu ? this.cpus : 1;
    const entries = Math.min(this.chunkEntries, this.maxEntries - n * this.chunkEntries);
    const page = this.flags & BPF_F_MMAPABLE ? 4096 : 8;
    const label = this.#chunks.length === 1 ? 'values' : `values${n}`;
    let r: Region;
    try {
      r = this.allocateStrided(label, entries * copies, this.valueSize, this.stride, page);
    } catch (e) {
      if (e instanceof RangeError) throw this.outOfSpace(op, e);
      throw e;
    }
    this.#chunks[n] = r;
    this.#mapped.push(r);
    return r;
  }

  /** Address of entry `index` on `cpu`, mapping its chunk (no bounds check); a shared array has one copy for all CPUs. */
  protected address(index: number, cpu: number): number {
    const n = Math.floor(index / this.chunkEntries);
    const start = (this.#chunks[n] ?? this.#chunk(n)).start;
    return (
      start +
      (index - n * this.chunkEntries) * this.entryStride +
      (this.descriptor.percpu ? cpu * this.stride : 0)
    );
  }

  /** Whether entry `index` lies in a chunk never mapped (it reads as zeros). */
  protected untouched(index: number): boolean {
    return this.#chunks[Math.floor(index / this.chunkEntries)] === undefined;
  }

  /**
   * An array mapped whole: value i at start + i * entryStride (a bounds check and a multiply),
   * plus cpu * stride for a per-CPU array (the CPU of the run: abi.ts RUN_CPU).
   */
  override lookupLayout(): LookupLayout {
    const values = this.#chunks[0];
    const percpu = this.type === 'PERCPU_ARRAY';
    if ((this.type !== 'ARRAY' && !percpu) || this.#chunks.length !== 1 || values === undefined)
      return super.lookupLayout();
    const layout = { keySize: 4, a: this.maxEntries, b: values.start, c: this.entryStride };
    return percpu
      ? { kind: LOOKUP_KIND.percpuArray, ...layout, d: this.stride, e: this.cpus }
      : { kind: LOOKUP_KIND.array, ...layout };
  }

  override lookupAddress(key: Uint8Array, cpu = 0): number {
    const index = keyIndex(key);
    if (index >= this.maxEntries || !this.#cpuOk(cpu)) return 0;
    return this.address(index, cpu);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu = 0): number {
    const r = this.#checkUpdate(key, flags);
    if (r !== 0) return r;
    if (!this.#cpuOk(cpu)) return -Errno.EINVAL;
    this.writeRaw(this.address(keyIndex(key), cpu), value.subarray(0, this.valueSize));
    return 0;
  }

  override deleteElem(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }

  /** map_direct_value_addr: the address of byte `off` of the single value (ld_imm64 PSEUDO_MAP_VALUE). */
  directValueAddress(off: number): number {
    if (this.descriptor.percpu || this.maxEntries !== 1) return -Errno.ENOTSUPP;
    if (off < 0 || off >= this.valueSize) return -Errno.EINVAL;
    return this.address(0, 0) + off;
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.ENOENT;
    if (this.untouched(index)) return new Uint8Array(this.valueBufferSize);
    if (!this.descriptor.percpu) return this.readRaw(this.address(index, 0), this.valueSize);
    return this.readCopies(this.address(index, 0), this.stride, this.cpus, round8(this.valueSize));
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!this.descriptor.percpu) return this.updateElem(key, value, flags);
    const r = this.#checkUpdate(key, flags);
    if (r !== 0) return r;
    const index = keyIndex(key);
    // The syscall copies whole 8-byte words per CPU (copy_map_value_long), padding included.
    this.writeCopies(this.address(index, 0), this.stride, round8(this.valueSize), value);
    return 0;
  }

  /**
   * generic_map_lookup_batch() over an array, without a key walk: the entries after the cursor
   * (an out-of-range cursor starts again at 0, as get_next_key does); the walk is done (ENOENT)
   * when fewer than `count` entries were left. Untouched chunks read as zeros.
   */
  protected override sysLookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    const at = cursor === undefined ? this.maxEntries : keyIndex(cursor);
    const first = at >= this.maxEntries ? 0 : at + 1;
    const n = Math.min(count, this.maxEntries - first);
    const size = this.valueBufferSize;
    const keyWords = new Uint32Array(n);
    const valueBytes = new Uint8Array(n * size);
    const u8 = this.space.u8;
    const copies = this.descriptor.percpu ? this.cpus : 1;
    const each = this.descriptor.percpu ? round8(this.valueSize) : this.valueSize;
    for (let i = 0; i < n; i++) {
      const index = first + i;
      keyWords[i] = index; // the host is little-endian, as keys are
      if (this.untouched(index)) continue;
      const addr = this.address(index, 0);
      for (let c = 0; c < copies; c++) {
        const from = addr + c * this.stride;
        valueBytes.set(u8.subarray(from, from + each), i * size + c * each);
      }
    }
    const done = n < count;
    const next = done ? undefined : u32Bytes(first + n - 1);
    return new MapBatch(n, 4, size, new Uint8Array(keyWords.buffer), valueBytes, next);
  }

  protected override sysNextKey(key: Uint8Array | undefined): Uint8Array | number {
    return indexNextKey(key, this.maxEntries);
  }

  #checkUpdate(key: Uint8Array, flags: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -Errno.EINVAL;
    if (keyIndex(key) >= this.maxEntries) return -Errno.E2BIG;
    if (flags & BPF_NOEXIST) return -Errno.EEXIST; // every element exists already
    return 0;
  }

  #cpuOk(cpu: number): boolean {
    return (
      Number.isInteger(cpu) &&
      cpu >= 0 &&
      cpu < (this.descriptor.percpu ? this.cpus : Number.MAX_SAFE_INTEGER)
    );
  }
}
