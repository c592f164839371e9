// BPF_MAP_TYPE_DEVMAP_HASH: the devmap keyed by any u32 instead of an index, with hash-map
// bookkeeping (E2BIG when full, ENOENT deleting a missing key). Quirks kept from the kernel:
// BPF_EXIST on a missing key inserts, and ifindex 0 is EINVAL rather than "empty the slot".
// Semantics from the kernel's kernel/bpf/devmap.c (__dev_map_hash_update_elem).

import { Errno } from '../../uapi/errno.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { checkDevmapSpec, checkDevValue, type DevmapEntry } from './devmap.js';
import { HashMap } from './hash.js';
import { u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** dev_map_alloc()'s checks, plus the bucket-count overflow (n_buckets rounds to 0: EINVAL). */
export function checkDevmapHashSpec(spec: MapSpecLike): number {
  const r = checkDevmapSpec(spec);
  if (r !== 0) return r;
  return spec.maxEntries > 2 ** 31 ? Errno.EINVAL : 0;
}

export class DevMapHash extends HashMap {
  protected override get programWritable(): boolean {
    return false;
  }

  /** The entry under `key` (bpf_redirect_map's target), or undefined. */
  entry(key: number): DevmapEntry | undefined {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key >>> 0, true);
    const v = this.sysLookup(k);
    if (typeof v === 'number') return undefined;
    return { ifindex: u32At(v, 0), program: v.length >= 8 ? u32At(v, 4) : 0 };
  }

  override lookupAddress(key: Uint8Array): number {
    return super.lookupAddress(key, 0);
  }

  override updateElem(): number {
    return -Errno.EINVAL;
  }

  protected override sysLookupAndDelete(): number {
    return -Errno.ENOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST || u32At(value, 0) === 0) return -Errno.EINVAL;
    const exists = typeof this.sysLookup(key) !== 'number';
    if (exists && flags & BPF_NOEXIST) return -Errno.EEXIST;
    const r = checkDevValue(value, this.references);
    if (r < 0) return r;
    if (!exists && this.size >= this.maxEntries) return -Errno.E2BIG;
    return super.sysUpdate(key, value, BPF_ANY);
  }
}
