// BPF_MAP_TYPE_ARRAY_OF_MAPS: an array whose values are map ids (the registry's, as the kernel
// reports map ids on lookup; it takes map fds on update). A program's lookup returns the inner
// map's handle address, which map helpers resolve through the registry like any `lddw r1, map`.

import { Errno } from '../../uapi/errno.js';
import { BPF_ANY } from '../../uapi/map-flags.js';
import type { AddressSpace } from '../memory.js';
import { ArrayMap } from './array.js';
import { keyIndex } from './base.js';
import { checkInnerId, requireRegistry } from './inner-map.js';
import { u32At } from './ref-array.js';
import type { MapRegistry } from './registry.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

export class ArrayOfMapsMap extends ArrayMap {
  readonly #registry: MapRegistry;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.#registry = requireRegistry(options?.registry, spec.type);
  }

  /** The inner map id at `index`, 0 when empty. */
  idAt(index: number): number {
    if (index >= this.maxEntries) return 0;
    return this.space.view.getUint32(this.address(index, 0), true);
  }

  override lookupAddress(key: Uint8Array): number {
    const id = this.idAt(keyIndex(key));
    return id === 0 ? 0 : this.#registry.handleById(id);
  }

  override updateElem(): number {
    return -Errno.EINVAL;
  }

  override deleteElem(): number {
    return -Errno.EINVAL;
  }

  override directValueAddress(): number {
    return -Errno.ENOTSUPP;
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    return this.idAt(keyIndex(key)) === 0 ? -Errno.ENOENT : super.sysLookup(key);
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const r = checkInnerId(this.#registry, this.spec, u32At(value, 0));
    if (r < 0) return r;
    this.writeRaw(this.address(index, 0), value);
    return 0;
  }

  protected override sysDelete(key: Uint8Array): number {
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    if (this.idAt(index) === 0) return -Errno.ENOENT;
    this.zeroRaw(this.address(index, 0), 4);
    return 0;
  }
}
