// Socket-buffer helpers: skb_load_bytes (26) and skb_store_bytes (9). Offsets count from
// skb->data: the MAC header for TC, the network header for socket filters. Errnos from
// net/core/filter.c: a range past skb->len is -EFAULT (load clears the buffer first).

import { Errno } from '../../uapi/errno.js';
import type { SkbContext } from '../context/skb.js';
import type { AddressSpace } from '../memory.js';
import { clearHash } from './skb-state.js';
import { type HelperImpl, neg, skbArg, u32 } from './types.js';

const INT_MAX = 0x7fffffff;
const BPF_F_RECOMPUTE_CSUM = 1n;
const BPF_F_INVALIDATE_HASH = 2n;

/** __bpf_skb_load_bytes: skb bytes at `off` into `to` (cleared when the range leaves the skb). */
export function loadSkbBytes(s: SkbContext, memory: AddressSpace, off: number, to: Uint8Array): bigint {
  if (off > INT_MAX || off + to.length > s.len) {
    to.fill(0);
    return neg(Errno.EFAULT);
  }
  to.set(memory.u8.subarray(s.data + off, s.data + off + to.length));
  return 0n;
}

/** __bpf_skb_store_bytes: `len` bytes at `src` at skb offset `off` (bpf_skb_store_bytes, bpf_dynptr_write on an skb dynptr). */
export function storeSkbBytes(
  s: SkbContext,
  memory: AddressSpace,
  off: number,
  src: bigint,
  len: number,
  flags: bigint,
): bigint {
  if (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return neg(Errno.EINVAL);
  const from = memory.bytes(src, len).slice();
  if (off > INT_MAX || off + len > s.len) return neg(Errno.EFAULT);
  memory.u8.set(from, s.data + off);
  // skb->csum only matters with CHECKSUM_COMPLETE, which tsbpf's skbs never carry.
  if (flags & BPF_F_INVALIDATE_HASH) clearHash(s);
  return 0n;
}

export const skbHelpers: readonly HelperImpl[] = [
  {
    id: 26, // bpf_skb_load_bytes(skb, offset, to, len)
    fn: (env, r1, r2, r3, r4) => {
      const s = skbArg(env, r1, 26);
      const off = u32(r2);
      const len = u32(r4);
      return loadSkbBytes(s, env.memory, off, env.memory.bytes(r3, len, 'write'));
    },
  },
  {
    id: 9, // bpf_skb_store_bytes(skb, offset, from, len, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      const s = skbArg(env, r1, 9);
      return storeSkbBytes(s, env.memory, u32(r2), r3, u32(r4), r5);
    },
  },
];
