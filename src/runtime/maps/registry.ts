// MapRegistry: the one place that turns addresses back into maps. Each registered map gets an
// id (1, 2, ... like the kernel's map ids) and a handle: a small read-only region whose start
// address stands for the map, the value `lddw r1, map` loads and a map-in-map lookup returns.
// Helpers resolve r1 with byHandle(); owner() finds the map whose storage holds an address.
//
//   handle region (8 bytes, read-only): u32 map id | u32 map type — not struct bpf_map; programs
//   must not rely on its contents.

import { MapType } from '../../uapi/map-types.js';
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

  constructor(space: AddressSpace) {
    this.space = space;
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
