// BPF_MAP_TYPE_HASH_OF_MAPS: a hash whose values are map ids (see array-of-maps.ts for what ids
// and handles are). Update flags and fullness follow the hash map; programs may only look up.

import { Errno } from '../../uapi/errno.js';
import type { AddressSpace } from '../memory.js';
import { HashMap } from './hash.js';
import { checkInnerId, requireRegistry } from './inner-map.js';
import { u32At } from './ref-array.js';
import type { MapRegistry } from './registry.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

export class HashOfMapsMap extends HashMap {
  readonly #registry: MapRegistry;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.#registry = requireRegistry(options?.registry, spec.type);
  }

  override lookupAddress(key: Uint8Array): number {
    const a = super.lookupAddress(key, 0);
    return a === 0 ? 0 : this.#registry.handleById(this.space.view.getUint32(a, true));
  }

  override updateElem(): number {
    return -Errno.EINVAL;
  }

  override deleteElem(): number {
    return -Errno.EINVAL;
  }

  protected override sysDelete(key: Uint8Array): number {
    return super.deleteElem(key);
  }

  protected override sysLookupAndDelete(): number {
    return -Errno.ENOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const r = checkInnerId(this.#registry, this.spec, u32At(value, 0));
    return r < 0 ? r : super.sysUpdate(key, value, flags);
  }
}
