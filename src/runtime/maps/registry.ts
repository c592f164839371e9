// MapRegistry: the one place that turns addresses back into maps. Each registered map gets an
// id (1, 2, ... like the kernel's map ids) and a handle: a small read-only region whose start
// address stands for the map, the value `lddw r1, map` loads and a map-in-map lookup returns.
// Helpers resolve r1 with byHandle(); owner() finds the map whose storage holds an address.
//
//   handle region (8 bytes, read-only): u32 map id | u32 map type — not struct bpf_map; programs
//   must not rely on its contents.
//
// The registry also publishes each map's lookup layout in the table of abi.ts MAP_HANDLES, by
// map id, for compiled code (the JIT's native bpf_map_lookup_elem): the first registry of a
// space owns that table.

import { MapType } from '../../uapi/map-types.js';
import { MAP_ENTRY_BYTES, MAP_HANDLES } from '../abi.js';
import type { AddressSpace, Region } from '../memory.js';
import type { BpfMap } from './base.js';

const HANDLE_SIZE = 8;

export class MapRegistry {
  readonly space: AddressSpace;
  readonly #byId = new Map<number, BpfMap>();
  readonly #byHandle = new Map<number, BpfMap>();
  readonly #info = new Map<BpfMap, { readonly id: number; readonly handle: Region }>();
  /** Region -> owning map, rebuilt lazily when a lookup misses. */
  #owners = new Map<Region, BpfMap>();
  #nextId = 1;
  /** The lookup table (abi.ts MAP_HANDLES) if this registry owns the space's; its capacity in entries. */
  #table: Region | undefined;
  #tableCap = 0;

  constructor(space: AddressSpace) {
    this.space = space;
    // One table per space: a second registry in the same space leaves lookups to JavaScript.
    if (space.view.getUint32(MAP_HANDLES, true) === 0) this.#growTable(16);
  }

  /** Writes map `id`'s table entry: its handle and lookup layout (all zero: none). */
  #publish(id: number, handle: number, map: BpfMap | undefined): void {
    const t = this.#table;
    if (t === undefined) return;
    if (id >= this.#tableCap) this.#growTable(Math.max(id + 1, this.#tableCap * 2));
    const l = map?.lookupLayout();
    const v = this.space.view;
    const e = this.#table!.start + id * MAP_ENTRY_BYTES;
    for (const [k, x] of [
      handle,
      l?.kind ?? 0,
      l?.keySize ?? 0,
      l?.a ?? 0,
      l?.b ?? 0,
      l?.c ?? 0,
      l?.d ?? 0,
      l?.e ?? 0,
    ].entries())
      v.setUint32(e + 4 * k, x, true);
  }

  /** Moves the table to a reservation of `cap` entries (zeroed), copying what it held. */
  #growTable(cap: number): void {
    const old = this.#table;
    const t = this.space.reserve('map lookup table', cap * MAP_ENTRY_BYTES, { kind: 'scratch' });
    if (old !== undefined) {
      this.space.u8.copyWithin(t.start, old.start, old.start + this.#tableCap * MAP_ENTRY_BYTES);
      this.space.release(old);
    }
    this.#table = t;
    this.#tableCap = cap;
    const v = this.space.view;
    v.setUint32(MAP_HANDLES, t.start, true);
    v.setUint32(MAP_HANDLES + 4, cap, true);
  }

  /** Registers `map` (idempotent) and returns its handle address; closing the map unregisters it. */
  register(map: BpfMap): number {
    const known = this.#info.get(map);
    if (known !== undefined) return known.handle.start;
    if (map.space !== this.space) throw new RangeError(`map ${map.name}: lives in another address space`);
    const id = this.#nextId++;
    const handle = this.space.allocate(`map '${map.name || map.type.toLowerCase()}' handle`, HANDLE_SIZE, {
      kind: 'map',
      writable: false,
    });
    const view = this.space.view;
    view.setUint32(handle.start, id, true);
    view.setUint32(handle.start + 4, MapType[map.type], true);
    this.#info.set(map, { id, handle });
    this.#byId.set(id, map);
    this.#byHandle.set(handle.start, map);
    this.#publish(id, handle.start, map);
    map.onLayoutChange = () => this.#publish(id, handle.start, map);
    map.onClose(() => this.unregister(map));
    return handle.start;
  }

  /** Drops `map`: its handle region is released and its id no longer resolves. */
  unregister(map: BpfMap): void {
    const info = this.#info.get(map);
    if (info === undefined) return;
    this.#info.delete(map);
    this.#byId.delete(info.id);
    this.#byHandle.delete(info.handle.start);
    this.#publish(info.id, 0, undefined);
    map.onLayoutChange = undefined;
    this.space.release(info.handle);
    this.#owners = new Map();
  }

  /** The map's id, 0 if not registered. */
  idOf(map: BpfMap): number {
    return this.#info.get(map)?.id ?? 0;
  }

  /** The map's handle address, 0 if not registered. */
  handleOf(map: BpfMap): number {
    return this.#info.get(map)?.handle.start ?? 0;
  }

  byId(id: number): BpfMap | undefined {
    return this.#byId.get(id);
  }

  /** The handle address of map `id`, 0 if there is none. */
  handleById(id: number): number {
    const m = this.#byId.get(id);
    return m === undefined ? 0 : this.handleOf(m);
  }

  /** The map whose handle is `addr` (what a helper's r1 holds), or undefined. */
  byHandle(addr: number | bigint): BpfMap | undefined {
    const a = typeof addr === 'bigint' ? (addr >= 0n && addr < 2n ** 32n ? Number(addr) : -1) : addr;
    return this.#byHandle.get(a);
  }

  /** The map whose value storage holds `addr` (ring buffer records, direct value access). */
  owner(addr: number | bigint): BpfMap | undefined {
    const a = typeof addr === 'bigint' ? (addr >= 0n && addr < 2n ** 32n ? Number(addr) : -1) : addr;
    if (a < 0) return undefined;
    const r = this.space.blockAt(a);
    if (r === undefined) return undefined;
    let m = this.#owners.get(r);
    if (m === undefined) {
      this.#owners = new Map();
      for (const map of this.#info.keys()) for (const region of map.regions) this.#owners.set(region, map);
      m = this.#owners.get(r);
    }
    return m;
  }

  /** Registered maps, in registration order. */
  maps(): IterableIterator<BpfMap> {
    return this.#byId.values();
  }
}
