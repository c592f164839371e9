// BPF_MAP_TYPE_XSKMAP: AF_XDP sockets by queue index. A value is an opaque non-zero socket id
// (a socket fd to the kernel); the syscall cannot read entries back (EOPNOTSUPP). A program's
// lookup gets the slot's struct bpf_xdp_sock (NULL when no socket is there): the queue_id of
// the RX queue the socket is bound to, read-only, as the verifier's xdp_sock pointer allows.
// The ids themselves are kept apart, for bpf_redirect_map. A map made outside a Network has no
// sockets to resolve ids against: it takes any non-zero id, read as bound to queue 0.
// Semantics from the kernel's net/xdp/xskmap.c and net/core/filter.c (bpf_xdp_sock).

import { Errno } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { keyIndex, u32Bytes } from './base.js';
import { DEV_CREATE_FLAG_MASK } from './devmap.js';
import { checkRefArraySpec, RefArrayMap, u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** xsk_map_alloc()'s checks. */
export function checkXskmapSpec(spec: MapSpecLike): number {
  return checkRefArraySpec(spec, [4], DEV_CREATE_FLAG_MASK);
}

export class XskMap extends RefArrayMap {
  /** The socket id of each slot; the slot's value (what programs read) is its queue_id. */
  readonly #ids = new Uint32Array(this.maxEntries);

  /** The socket id at `index` (bpf_redirect_map's target), or undefined. */
  socketAt(index: number): number | undefined {
    return this.isSet(index) ? this.#ids[index] : undefined;
  }

  protected override sysLookup(): number {
    return -Errno.EOPNOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const id = u32At(value, 0);
    const queue =
      id === 0 ? undefined : this.references.socket === undefined ? 0 : this.references.socket(id);
    if (queue === undefined) return -Errno.EBADF;
    const old = this.isSet(index);
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    this.set(index, u32Bytes(queue)); // struct bpf_xdp_sock { __u32 queue_id; }
    this.#ids[index] = id;
    return 0;
  }
}
