// BpfMap: the one class every map type extends. The program side works on addresses and returns
// 0 / -errno as helpers do (lookupAddress gives a value's address in the AddressSpace, 0 for
// NULL); the user side works on bytes and throws BpfError with the command and the errno bpf(2) would set.
// Subclasses implement the sys* hooks; this file holds the checks every type shares.

import { BpfError, ClosedError, TsbpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { type MapDescriptor, mapDescriptor } from '../../uapi/map-descriptors.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, round8 } from '../../uapi/map-flags.js';
import type { MapTypeName } from '../../uapi/map-types.js';
import { LOOKUP_KIND, type LookupLayout } from '../abi.js';
import type { AddressSpace, Region } from '../memory.js';
import { MapBatch } from './batch.js';
import type { MapRegistry } from './registry.js';
import { type CreateMapOptions, DEFAULT_CPUS, type MapReferences, type MapSpecLike } from './types.js';

const NO_LAYOUT: LookupLayout = { kind: LOOKUP_KIND.none, keySize: 0, a: 0, b: 0, c: 0 };

/** Which batch commands a type supports (the kernel answers ENOTSUPP for the others). */
export interface BatchSupport {
  readonly lookup: boolean;
  readonly update: boolean;
  readonly delete: boolean;
}
const NO_BATCH: BatchSupport = { lookup: false, update: false, delete: false };

/** The bpf(2) command behind each user-side operation, as BpfError reports it (push, pop and peek are how libbpf's bpf_map_update_elem, lookup_and_delete_elem and lookup_elem reach queues and stacks). */
const MAP_COMMANDS = {
  lookup: 'BPF_MAP_LOOKUP_ELEM',
  update: 'BPF_MAP_UPDATE_ELEM',
  delete: 'BPF_MAP_DELETE_ELEM',
  get_next_key: 'BPF_MAP_GET_NEXT_KEY',
  lookup_and_delete: 'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  push: 'BPF_MAP_UPDATE_ELEM',
  pop: 'BPF_MAP_LOOKUP_AND_DELETE_ELEM',
  peek: 'BPF_MAP_LOOKUP_ELEM',
  lookup_batch: 'BPF_MAP_LOOKUP_BATCH',
  lookup_and_delete_batch: 'BPF_MAP_LOOKUP_AND_DELETE_BATCH',
  update_batch: 'BPF_MAP_UPDATE_BATCH',
  delete_batch: 'BPF_MAP_DELETE_BATCH',
} as const;
type MapOp = keyof typeof MAP_COMMANDS;

export abstract class BpfMap {
  readonly space: AddressSpace;
  readonly spec: MapSpecLike;
  readonly type: MapTypeName;
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Virtual CPUs (per-CPU values, cpumap keys). */
  readonly cpus: number;
  readonly descriptor: MapDescriptor;
  /** Bytes the user side reads and writes per value: valueSize, or round_up(valueSize, 8) x cpus. */
  readonly valueBufferSize: number;
  protected readonly references: MapReferences;
  /** The registry given at creation (map-in-map types resolve their values through it). */
  protected readonly registry: MapRegistry | undefined;
  protected readonly batch: BatchSupport = NO_BATCH;
  protected readonly what: string;
  #closed = false;
  readonly #onClose: (() => void)[] = [];

  constructor(space: AddressSpace, spec: MapSpecLike, options: CreateMapOptions = {}) {
    this.space = space;
    this.spec = spec;
    this.type = spec.type;
    this.name = spec.name ?? '';
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = spec.maxEntries;
    this.flags = spec.flags ?? 0;
    this.cpus = options.cpus ?? DEFAULT_CPUS;
    this.references = options.references ?? {};
    this.registry = options.registry;
    const desc = mapDescriptor(spec.type);
    if (desc === undefined)
      throw new TsbpfError('INVALID_ARGUMENT', `no descriptor for map type ${spec.type}`);
    this.descriptor = desc;
    this.valueBufferSize = desc.percpu ? round8(this.valueSize) * this.cpus : this.valueSize;
    this.what = `map${this.name === '' ? '' : ` '${this.name}'`} (${this.type})`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The address-space regions holding this map's values (grows for hash-like maps). */
  abstract get regions(): readonly Region[];

  // ---- program side: addresses in, 0 / -errno out -------------------------------------------

  /** bpf_map_lookup_elem: the address of the value for `key` on `cpu`, or 0 (NULL). */
  lookupAddress(_key: Uint8Array, _cpu = 0): number {
    return 0;
  }
  /** bpf_map_update_elem from a program: per-CPU maps write `cpu`'s value only. */
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu = 0): number {
    return -Errno.EINVAL;
  }
  /** bpf_map_delete_elem from a program. */
  deleteElem(_key: Uint8Array): number {
    return -Errno.EINVAL;
  }
  /** bpf_map_push_elem (queue, stack, bloom filter). */
  pushElem(_value: Uint8Array, _flags: number): number {
    return -Errno.ENOTSUPP;
  }
  /** bpf_map_pop_elem: copies the element into `out`. */
  popElem(_out: Uint8Array): number {
    return -Errno.ENOTSUPP;
  }
  /** bpf_map_peek_elem: queue/stack copy into `buf`; the bloom filter reads `buf` (0 = maybe present). */
  peekElem(_buf: Uint8Array): number {
    return -Errno.ENOTSUPP;
  }

  // ---- user side hooks (bytes; -errno on failure) -----------------------------------------

  protected abstract sysLookup(key: Uint8Array): Uint8Array | number;
  protected abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number;
  protected sysDelete(key: Uint8Array): number {
    return this.deleteElem(key);
  }
  protected abstract sysNextKey(key: Uint8Array | undefined): Uint8Array | number;
  /** A type's own BPF_MAP_LOOKUP_BATCH (checks done); undefined: the generic walk of base.ts. */
  protected sysLookupBatch(_cursor: Uint8Array | undefined, _count: number): MapBatch | undefined {
    return undefined;
  }
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM; only hash types and queue/stack have it. */
  protected sysLookupAndDelete(_key: Uint8Array): Uint8Array | number {
    return -Errno.ENOTSUPP;
  }

  // ---- user side (bpf(2) semantics) --------------------------------------------------------

  /** BPF_MAP_LOOKUP_ELEM: the value (per-CPU: every CPU's, each padded to 8 bytes), undefined for ENOENT. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    this.#open();
    this.checkKey(key);
    if (this.flags & BPF_F_WRONLY) throw this.error('lookup', Errno.EPERM);
    const r = this.sysLookup(key);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return undefined;
      throw this.error('lookup', -r);
    }
    return r;
  }

  /** BPF_MAP_UPDATE_ELEM with BPF_ANY (default), BPF_NOEXIST or BPF_EXIST. */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#open();
    this.checkKey(key);
    this.#checkValue(value);
    if (this.flags & BPF_F_RDONLY) throw this.error('update', Errno.EPERM);
    // BPF_F_LOCK needs a bpf_spin_lock in the value (BTF), which these maps never have.
    if (flags & BPF_F_LOCK) throw this.error('update', Errno.EINVAL);
    const r = this.sysUpdate(key, value, flags);
    if (r < 0) throw this.error('update', -r);
  }

  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array): void {
    this.#open();
    this.checkKey(key);
    if (this.flags & BPF_F_RDONLY) throw this.error('delete', Errno.EPERM);
    const r = this.sysDelete(key);
    if (r < 0) throw this.error('delete', -r);
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first for undefined or a missing key), undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    this.#open();
    if (key !== undefined) this.checkKey(key);
    if (this.flags & BPF_F_WRONLY) throw this.error('get_next_key', Errno.EPERM);
    const r = this.sysNextKey(key);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return undefined;
      throw this.error('get_next_key', -r);
    }
    return r;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack: pop; hash types: lookup then delete). */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    this.#open();
    this.checkKey(key);
    if (this.flags & (BPF_F_RDONLY | BPF_F_WRONLY)) throw this.error('lookup_and_delete', Errno.EPERM);
    const r = this.sysLookupAndDelete(key);
    if (typeof r === 'number') {
      if (r === -Errno.ENOENT) return undefined;
      throw this.error('lookup_and_delete', -r);
    }
    return r;
  }

  /** Push (queue, stack, bloom filter) as BPF_MAP_UPDATE_ELEM with a NULL key does it. */
  push(value: Uint8Array, flags = 0): void {
    this.#open();
    this.#checkValue(value);
    if (this.flags & BPF_F_RDONLY) throw this.error('push', Errno.EPERM);
    const r = this.pushElem(value, flags);
    if (r < 0) throw this.error('push', -r);
  }

  /** Pop (queue, stack): the element, or undefined when empty. */
  pop(): Uint8Array | undefined {
    this.#open();
    const out = new Uint8Array(this.valueSize);
    const r = this.popElem(out);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw this.error('pop', -r);
    return out;
  }

  /** Peek: queue/stack return the next element; the bloom filter returns `value` if it may be present. */
  peek(value?: Uint8Array): Uint8Array | undefined {
    this.#open();
    const buf = value === undefined ? new Uint8Array(this.valueSize) : value.slice();
    if (buf.length !== this.valueSize) {
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${this.what}: value is ${buf.length} bytes, expected ${this.valueSize}`,
      );
    }
    const r = this.peekElem(buf);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw this.error('peek', -r);
    return buf;
  }

  /** Every key, in this map's iteration order. */
  *keys(): IterableIterator<Uint8Array> {
    for (let k = this.nextKey(); k !== undefined; k = this.nextKey(k)) yield k;
  }

  /** Every [key, value] pair that lookup finds. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  // ---- batch operations ---------------------------------------------------------------------

  /** BPF_MAP_LOOKUP_BATCH: up to `count` elements after `cursor` (undefined: from the start). */
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.#batchWalk('lookup_batch', cursor, count, false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.#batchWalk('lookup_and_delete_batch', cursor, count, true);
  }

  /** BPF_MAP_UPDATE_BATCH: returns the count; a failure throws BpfError with `count` done so far. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags = 0): number {
    this.#open();
    if (!this.batch.update) throw this.error('update_batch', Errno.ENOTSUPP, keys.length);
    if (keys.length !== values.length) throw this.error('update_batch', Errno.EINVAL);
    // generic_map_update_batch(): elem_flags may only be BPF_F_LOCK, which needs a spin lock in
    // the value (never here); refused before any element, with the count left as passed.
    if (flags !== 0) throw this.error('update_batch', Errno.EINVAL, keys.length);
    return this.#each('update_batch', keys, (k, i) => this.update(k, values[i]!));
  }

  /** BPF_MAP_DELETE_BATCH: returns the count; a failure throws BpfError with `count` done so far. */
  deleteBatch(keys: readonly Uint8Array[]): number {
    this.#open();
    if (!this.batch.delete) throw this.error('delete_batch', Errno.ENOTSUPP, keys.length);
    return this.#each('delete_batch', keys, (k) => this.delete(k));
  }

  #each(what: MapOp, keys: readonly Uint8Array[], op: (k: Uint8Array, i: number) => void): number {
    for (let i = 0; i < keys.length; i++) {
      try {
        op(keys[i]!, i);
      } catch (e) {
        if (e instanceof BpfError) throw this.error(what, e.errno, i);
        throw e;
      }
    }
    return keys.length;
  }

  #batchWalk(what: MapOp, cursor: Uint8Array | undefined, count: number, del: boolean): MapBatch {
    this.#open();
    if (!(del ? this.batch.delete : this.batch.lookup)) throw this.error(what, Errno.ENOTSUPP);
    if (!Number.isInteger(count) || count <= 0) throw this.error(what, Errno.EINVAL);
    if (this.flags & BPF_F_WRONLY) throw this.error(what, Errno.EPERM);
    if (!del) {
      const fast = this.sysLookupBatch(cursor, count);
      if (fast !== undefined) return fast;
    }
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    // The cursor is the last key handed out: its successor starts this round.
    let k = cursor === undefined ? this.nextKey() : this.nextKey(cursor);
    while (k !== undefined && keys.length < count) {
      const v = this.lookup(k);
      if (v !== undefined) {
        keys.push(k);
        values.push(v);
      }
      k = this.nextKey(k);
    }
    if (del) for (const key of keys) this.delete(key);
    const last = keys[keys.length - 1];
    const next = k === undefined || last === undefined ? undefined : last;
    return MapBatch.of(this.keySize, this.valueBufferSize, keys, values, next);
  }

  // ---- compiled lookups (runtime/abi.ts MAP_HANDLES) -------------------------------------------

  /**
   * @internal How compiled code may look a key up without calling the helper (abi.ts): kind
   * none unless a type lays its values out for it. The registry publishes it.
   */
  lookupLayout(): LookupLayout {
    return NO_LAYOUT;
  }

  /** @internal Called by the map when lookupLayout() changed (the registry republishes it). */
  onLayoutChange: (() => void) | undefined;

  // ---- lifetime -------------------------------------------------------------------------------

  /** Runs `f` when the map closes (the registry uses it to drop the handle). */
  onClose(f: () => void): void {
    this.#onClose.push(f);
  }

  /** Releases the map's regions; later use throws ClosedError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    const regions = [...this.regions];
    this.#closed = true;
    for (const f of this.#onClose.splice(0)) f();
    for (const r of regions) this.space.release(r);
    this.released();
  }
  [Symbol.dispose](): void {
    this.close();
  }
  /** Subclass hook after close() (drop JS-side state). */
  protected released(): void {}

  // ---- shared helpers ---------------------------------------------------------------------

  protected error(op: MapOp, errno: number, count?: number): BpfError {
    const details = count === undefined ? { subject: this.what } : { subject: this.what, count };
    return new BpfError(MAP_COMMANDS[op], errno, details);
  }

  /**
   * ENOMEM for memory the map could not get: the address space (4 GiB of Wasm linear memory) has
   * no room left, as the kernel's allocation fails under memory pressure. `op` is the command.
   */
  protected outOfSpace(op: string, cause: RangeError): BpfError {
    return new BpfError(op, Errno.ENOMEM, { subject: this.what, reason: cause.message, cause });
  }

  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.keySize) {
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${this.what}: key is ${key.length} bytes, expected ${this.keySize}`,
      );
    }
  }

  #checkValue(value: Uint8Array): void {
    if (value.length !== this.valueBufferSize) {
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${this.what}: value is ${value.length} bytes, expected ${this.valueBufferSize}`,
      );
    }
  }

  #open(): void {
    if (this.#closed) throw new ClosedError(this.what);
  }

  /** Allocates a value region named after this map; read-only for programs if `writable` is false or with BPF_F_RDONLY_PROG. */
  protected allocate(label: string, size: number, align = 8, writable = true): Region {
    return this.space.allocate(`${this.name || this.type.toLowerCase()}:${label}`, size, {
      kind: this.type === 'RINGBUF' ? 'ringbuf' : 'map',
      writable: writable && (this.flags & BPF_F_RDONLY_PROG) === 0,
      align,
    });
  }

  /**
   * Allocates `count` values of `elemSize` bytes `stride` apart as one strided region: a program
   * access must lie within one value (read-only for programs as allocate()).
   */
  protected allocateStrided(
    label: string,
    count: number,
    elemSize: number,
    stride: number,
    align = 8,
    writable = true,
  ): Region {
    return this.space.allocateStrided(`${this.name || this.type.toLowerCase()}:${label}`, count, elemSize, {
      kind: 'map',
      writable: writable && (this.flags & BPF_F_RDONLY_PROG) === 0,
      align,
      stride,
    });
  }

  /** Per-CPU values as the syscall packs them: `copies` values of `each` bytes, read `stride` apart. */
  protected readCopies(addr: number, stride: number, copies: number, each: number): Uint8Array {
    const out = new Uint8Array(copies * each);
    const u8 = this.space.u8;
    for (let c = 0; c < copies; c++)
      out.set(u8.subarray(addr + c * stride, addr + c * stride + each), c * each);
    return out;
  }

  /** Writes packed per-CPU values (`each` bytes per copy) to copies `stride` apart. */
  protected writeCopies(addr: number, stride: number, each: number, data: Uint8Array): void {
    const u8 = this.space.u8;
    for (let c = 0; c * each < data.length; c++)
      u8.set(data.subarray(c * each, (c + 1) * each), addr + c * stride);
  }

  /** Zeroes `copies` values of `each` bytes `stride` apart (never the gaps between them). */
  protected zeroCopies(addr: number, stride: number, copies: number, each: number): void {
    const u8 = this.space.u8;
    for (let c = 0; c < copies; c++) u8.fill(0, addr + c * stride, addr + c * stride + each);
  }

  /** Copies `len` bytes at `addr` out of the space (no access check: the map owns them). */
  protected readRaw(addr: number, len: number): Uint8Array {
    return this.space.u8.slice(addr, addr + len);
  }

  protected writeRaw(addr: number, data: Uint8Array): void {
    this.space.u8.set(data, addr);
  }

  protected zeroRaw(addr: number, len: number): void {
    this.space.u8.fill(0, addr, addr + len);
  }
}

/** The u32 at the start of a key (array-like maps), little-endian as the host is. */
export function keyIndex(key: Uint8Array): number {
  return ((key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0) as number;
}

/** A u32 as 4 little-endian bytes. */
export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** array_map_get_next_key(): missing or out-of-range key -> 0, last -> ENOENT. */
export function indexNextKey(key: Uint8Array | undefined, maxEntries: number): Uint8Array | number {
  const index = key === undefined ? 0xffffffff : keyIndex(key);
  if (index >= maxEntries) return u32Bytes(0);
  if (index === maxEntries - 1) return -Errno.ENOENT;
  return u32Bytes(index + 1);
}
