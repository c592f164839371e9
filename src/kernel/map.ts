// Kernel maps through bpf(2): BPF_MAP_CREATE and the element commands (lookup, update, delete,
// get-next-key, lookup-and-delete) on raw key/value bytes; the batch commands are in
// map-batch.ts. Typed views (BTF, structs) are not here. Per-CPU maps read and write one 8-byte-aligned value per possible CPU, back to back.

import { readFileSync } from 'node:fs';
import { BpfError, TsbpfError } from '../errors.js';
import type { MapBatch } from '../runtime/maps/types.js';
import { BPF_ANY, BpfCmd, Errno, MapType, type MapTypeName } from '../uapi/index.js';
import { Attr, checkObjName, MapCreate, MapElem, MapFreeze } from './attr.js';
import { BpfObjectHandle } from './bpf-object.js';
import { kernelLookupBatch, kernelWriteBatch } from './map-batch.js';
import { mapInfo } from './object-info.js';
import { pinned } from './syscall.js';

export interface CreateMapOptions {
  readonly type: MapTypeName;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** map_flags, e.g. BPF_F_NO_PREALLOC (1), BPF_F_RDONLY_PROG (0x80), BPF_F_MMAPABLE (0x400). */
  readonly flags?: number;
  /** Object name, at most 15 characters of [A-Za-z0-9_.]. */
  readonly name?: string;
  /** The template map (an fd) of a map-in-map (ARRAY_OF_MAPS, HASH_OF_MAPS). */
  readonly innerMapFd?: number;
  /** NUMA node, honoured with BPF_F_NUMA_NODE (4) in flags. */
  readonly numaNode?: number;
  /** map_extra: the hash count of a BLOOM_FILTER, the arena address of an ARENA. */
  readonly mapExtra?: bigint;
  /** A loaded BTF (KernelBtf.fd) that holds the key and value types below. */
  readonly btfFd?: number;
  /** BTF type id of the key (0: none, allowed for array-like maps). */
  readonly btfKeyTypeId?: number;
  /** BTF type id of the value; the kernel checks it only when this is non-zero. */
  readonly btfValueTypeId?: number;
}

const PERCPU: ReadonlySet<MapTypeName> = new Set([
  'PERCPU_HASH',
  'PERCPU_ARRAY',
  'LRU_PERCPU_HASH',
  'PERCPU_CGROUP_STORAGE',
]);

let possibleCpus: number | undefined;
/** Number of possible CPUs, from /sys/devices/system/cpu/possible (e.g. "0-3" or "0,2-5"). */
export function possibleCpuCount(): number {
  if (possibleCpus !== undefined) return possibleCpus;
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n = Math.max(n, (b ?? a!) + 1);
  }
  possibleCpus = n;
  return n;
}

export class KernelMap extends BpfObjectHandle {
  readonly type: MapTypeName;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  /** map_extra (bloom filter hash count, arena address); 0n when unused. */
  readonly mapExtra: bigint;
  /** Bytes lookup returns and update takes: valueSize, or per-CPU round_up(valueSize, 8) x CPUs. */
  readonly valueBufferSize: number;
  protected readonly what: string;

  /** @internal use createMap(). */
  constructor(fd: number, o: CreateMapOptions) {
    super(fd);
    this.type = o.type;
    this.keySize = o.keySize;
    this.valueSize = o.valueSize;
    this.maxEntries = o.maxEntries;
    this.flags = o.flags ?? 0;
    this.name = o.name ?? '';
    this.mapExtra = o.mapExtra ?? 0n;
    this.valueBufferSize = PERCPU.has(o.type)
      ? Math.ceil(o.valueSize / 8) * 8 * possibleCpuCount()
      : o.valueSize;
    this.what = `map${this.name === '' ? '' : ` '${this.name}'`}`;
  }

  /** The kernel's id of this map. */
  get id(): number {
    return mapInfo(this.fd).id;
  }

  /** The value stored under `key`, or undefined if there is none (ENOENT). */
  lookup(key: Uint8Array): Uint8Array | undefined {
    const value = pinned(this.valueBufferSize);
    const attr = this.elemAttr(key).ptr(MapElem.value, value);
    try {
      attr.call(BpfCmd.MAP_LOOKUP_ELEM);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
    return value.slice(0, this.valueBufferSize);
  }

  /** Stores `value` under `key`; flags BPF_ANY (default), BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
  update(key: Uint8Array, value: Uint8Array, flags: number = BPF_ANY): void {
    if (value.length !== this.valueBufferSize) {
      throw invalid(`${this.what}: value is ${value.length} bytes, expected ${this.valueBufferSize}`);
    }
    this.elemAttr(key)
      .ptrCopy(MapElem.value, value)
      .u64(MapElem.flags, BigInt(flags))
      .call(BpfCmd.MAP_UPDATE_ELEM);
  }

  /** Deletes `key`; a missing key is BpfError ENOENT, array maps refuse with EINVAL. */
  delete(key: Uint8Array): void {
    this.elemAttr(key).call(BpfCmd.MAP_DELETE_ELEM);
  }

  /** The key after `key` in the map's order (the first key if `key` is undefined), or undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const next = pinned(this.keySize);
    const attr = key === undefined ? new Attr().u32(MapElem.map_fd, this.fd) : this.elemAttr(key);
    attr.ptr(MapElem.value, next);
    try {
      attr.call(BpfCmd.MAP_GET_NEXT_KEY);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
    return next.slice(0, this.keySize);
  }

  /**
   * BPF_MAP_FREEZE: user space can no longer write the map (programs still can unless the map
   * has BPF_F_RDONLY_PROG). Used for `.rodata`, so the verifier may treat its values as constants.
   */
  freeze(): void {
    new Attr().u32(MapFreeze.map_fd, this.fd).call(BpfCmd.MAP_FREEZE);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: the value removed (queue/stack: popped; key empty), undefined for ENOENT. */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    const value = pinned(this.valueBufferSize);
    const attr = this.elemAttr(key).ptr(MapElem.value, value);
    try {
      attr.call(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
    return value.slice(0, this.valueBufferSize);
  }

  /** BPF_MAP_LOOKUP_BATCH: up to `count` elements after `cursor` (undefined: from the start); cursor undefined in the result at the end. */
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return kernelLookupBatch(this, cursor, count, false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return kernelLookupBatch(this, cursor, count, true);
  }

  /** BPF_MAP_UPDATE_BATCH: the count; a failure throws BpfError with `count` processed. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    return kernelWriteBatch(this, keys, values, flags);
  }

  /** BPF_MAP_DELETE_BATCH: the count; a failure throws BpfError with `count` processed. */
  deleteBatch(keys: readonly Uint8Array[]): number {
    return kernelWriteBatch(this, keys, undefined);
  }

  /** All keys, in the kernel's iteration order. */
  *keys(): IterableIterator<Uint8Array> {
    for (let k = this.nextKey(); k !== undefined; k = this.nextKey(k)) yield k;
  }

  private elemAttr(key: Uint8Array): Attr {
    if (key.length !== this.keySize) {
      throw invalid(`${this.what}: key is ${key.length} bytes, expected ${this.keySize}`);
    }
    const attr = new Attr().u32(MapElem.map_fd, this.fd);
    return this.keySize === 0 ? attr : attr.ptrCopy(MapElem.key, key);
  }
}

/** Creates a map; kernel refusals (E2BIG, EINVAL, ENOMEM, EPERM...) throw BpfError. */
export function createMap(options: CreateMapOptions): KernelMap {
  const type = MapType[options.type];
  if (type === undefined) throw invalid(`unknown map type '${String(options.type)}'`);
  for (const f of ['keySize', 'valueSize', 'maxEntries'] as const) {
    const v = options[f];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid(`${f} must be a u32, is ${v}`);
  }
  const name = options.name ?? '';
  const problem = checkObjName(name);
  if (problem !== undefined) throw invalid(problem);
  const attr = new Attr()
    .u32(MapCreate.map_type, type)
    .u32(MapCreate.key_size, options.keySize)
    .u32(MapCreate.value_size, options.valueSize)
    .u32(MapCreate.max_entries, options.maxEntries)
    .u32(MapCreate.map_flags, options.flags ?? 0)
    .name(MapCreate.map_name, name);
  if (options.innerMapFd !== undefined) attr.u32(MapCreate.inner_map_fd, options.innerMapFd);
  if (options.numaNode !== undefined) attr.u32(MapCreate.numa_node, options.numaNode);
  if (options.mapExtra !== undefined) attr.u64(MapCreate.map_extra, options.mapExtra);
  if (options.btfFd !== undefined) {
    attr
      .u32(MapCreate.btf_fd, options.btfFd)
      .u32(MapCreate.btf_key_type_id, options.btfKeyTypeId ?? 0)
      .u32(MapCreate.btf_value_type_id, options.btfValueTypeId ?? 0);
  }
  return new KernelMap(attr.call(BpfCmd.MAP_CREATE), options);
}

function invalid(message: string): TsbpfError {
  return new TsbpfError('INVALID_ARGUMENT', message);
}
