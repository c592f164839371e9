// A VM map as the backend-neutral API shows it (LoadedMap): bytes in and out with bpf(2)'s
// errnos (BpfError), over a runtime map in the collection's address space. `map` exposes the
// runtime map itself (push/pop, batch ops, regions) for callers that need more.

import { ClosedError } from '../../errors.js';
import type { MapSpec } from '../../program/index.js';
import type { LoadedMap } from '../backend.js';
import type { BpfMap } from '../maps/base.js';
import { dumpMap } from '../maps/dump.js';
import type { MapBatch } from '../maps/types.js';

export class VmMap implements LoadedMap {
  readonly name: string;
  readonly spec: MapSpec;
  readonly #map: BpfMap;
  /** False for a map given in `mapReplacements`: the collection uses it but does not close it. */
  readonly owned: boolean;
  /** The map's id in its collection (what a map-in-map slot holds). */
  readonly id: number;
  #closed = false;

  /** @internal made by loadCollection(). */
  constructor(spec: MapSpec, map: BpfMap, owned = true, id = 0) {
    this.id = id;
    this.name = spec.name;
    this.spec = spec;
    this.#map = map;
    this.owned = owned;
  }

  /** The runtime map (value addresses, push/pop/peek, batch operations). */
  get map(): BpfMap {
    if (this.#closed) throw new ClosedError(`map '${this.name}'`);
    return this.#map;
  }

  /** What a map-in-map slot takes for this map (backend-neutral, as the kernel's fd): the id. */
  get fd(): number {
    return this.id;
  }

  /** Bytes of a value as lookup returns it (per-CPU maps: every CPU's, each padded to 8). */
  get valueSize(): number {
    return this.#map.valueBufferSize;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    return this.map.lookup(key);
  }
  update(key: Uint8Array, value: Uint8Array, flags?: number): void {
    this.map.update(key, value, flags);
  }
  delete(key: Uint8Array): void {
    this.map.delete(key);
  }
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    return this.map.nextKey(key);
  }
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    return this.map.lookupAndDelete(key);
  }
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.map.lookupBatch(cursor, count);
  }
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.map.lookupAndDeleteBatch(cursor, count);
  }
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags?: number): number {
    return this.map.updateBatch(keys, values, flags);
  }
  deleteBatch(keys: readonly Uint8Array[]): number {
    return this.map.deleteBatch(keys);
  }
  dump(): MapBatch {
    return dumpMap(this, this.spec.keySize, this.valueSize);
  }

  /** @internal */
  close(): void {
    this.#closed = true;
    if (this.owned) this.#map.close();
  }
}
