// BPF_MAP_TYPE_XSKMAP: AF_XDP sockets by queue index. A value is an opaque non-zero socket id
// (a socket fd to the kernel); the syscall cannot read entries back (EOPNOTSUPP). A program's
// lookup gets the address of the slot (non-NULL when a socket is there), standing for the
// kernel's struct xdp_sock pointer. Semantics from the kernel's net/xdp/xskmap.c.

import { Errno } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { keyIndex } from './base.js';
import { DEV_CREATE_FLAG_MASK } from './devmap.js';
import { checkRefArraySpec, RefArrayMap, u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** xsk_map_alloc()'s checks. */
export function checkXskmapSpec(spec: MapSpecLike): number {
  return checkRefArraySpec(spec, [4], DEV_CREATE_FLAG_MASK);
}

export class XskMap extends RefArrayMap {
  /** The socket id at `index` (bpf_redirect_map's target), or undefined. */
  socketAt(index: number): number | undefined {
    return this.words(index)?.[0];
  }

  protected override sysLookup(): number {
    return -Errno.EOPNOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const id = u32At(value, 0);
    if (id === 0 || this.references.socket?.(id) === false) return -Errno.EBADF;
    const old = this.isSet(index);
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    this.set(index, value);
    return 0;
  }
}
