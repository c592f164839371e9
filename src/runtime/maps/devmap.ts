// BPF_MAP_TYPE_DEVMAP: XDP redirect targets by index. A value is `struct bpf_devmap_val { u32
// ifindex; u32 prog; }` (value_size 4: ifindex only); the prog word is an opaque program id
// here (a prog fd to the kernel, reported back as the prog id). ifindex 0 empties a slot.
// Semantics from the kernel's kernel/bpf/devmap.c.

import { Errno } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { keyIndex } from './base.js';
import { checkRefArraySpec, RefArrayMap, u32At } from './ref-array.js';
import type { MapReferences, MapSpecLike } from './types.js';

export const DEV_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/** dev_map_alloc()'s checks: value_size 4 (ifindex) or 8 (ifindex + prog fd). */
export function checkDevmapSpec(spec: MapSpecLike): number {
  return checkRefArraySpec(spec, [4, 8], DEV_CREATE_FLAG_MASK);
}

/** A devmap entry: the interface and the optional program (0: none). */
export interface DevmapEntry {
  readonly ifindex: number;
  readonly program: number;
}

/** __dev_map_alloc_node(): unknown device EINVAL, unknown program EBADF; 0 when fine. */
export function checkDevValue(value: Uint8Array, refs: MapReferences): number {
  const ifindex = u32At(value, 0);
  if (refs.device?.(ifindex) === false) return -Errno.EINVAL;
  const prog = value.length >= 8 ? u32At(value, 4) : 0;
  if (prog !== 0 && refs.program?.(prog) === false) return -Errno.EBADF;
  return 0;
}

export class DevMap extends RefArrayMap {
  /** The entry at `index` (bpf_redirect_map's target), or undefined. */
  entry(index: number): DevmapEntry | undefined {
    const w = this.words(index);
    return w === undefined ? undefined : { ifindex: w[0]!, program: w[1] ?? 0 };
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (u32At(value, 0) === 0) {
      if (value.length >= 8 && u32At(value, 4) !== 0) return -Errno.EINVAL; // no program without a device
      this.clear(index);
      return 0;
    }
    const r = checkDevValue(value, this.references);
    if (r < 0) return r;
    this.set(index, value);
    return 0;
  }
}
