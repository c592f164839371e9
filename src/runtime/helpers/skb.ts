// Socket-buffer helpers: skb_load_bytes (26) and skb_store_bytes (9). Offsets count from
// skb->data: the MAC header for TC, the network header for socket filters. Errnos from
// net/core/filter.c: a range past skb->len is -EFAULT (load clears the buffer first).

import { Errno } from '../../uapi/errno.js';
import { clearHash } from './skb-state.js';
import { type HelperImpl, neg, skbArg, u32 } from './types.js';

const INT_MAX = 0x7fffffff;
const BPF_F_RECOMPUTE_CSUM = 1n;
const BPF_F_INVALIDATE_HASH = 2n;

export const skbHelpers: readonly HelperImpl[] = [
  {
    id: 26, // bpf_skb_load_bytes(skb, offset, to, len)
    fn: (env, r1, r2, r3, r4) => {
      const s = skbArg(env, r1, 26);
      const off = u32(r2);
      const len = u32(r4);
      const to = env.memory.bytes(r3, len, 'write');
      if (off > INT_MAX || off + len > s.len) {
        to.fill(0);
        return neg(Errno.EFAULT);
      }
      to.set(env.memory.u8.subarray(s.data + off, s.data + off + len));
      return 0n;
    },
  },
  {
    id: 9, // bpf_skb_store_bytes(skb, offset, from, len, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      const s = skbArg(env, r1, 9);
      if (r5 & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return neg(Errno.EINVAL);
      const off = u32(r2);
      const len = u32(r4);
      const from = env.memory.bytes(r3, len).slice();
      if (off > INT_MAX || off + len > s.len) return neg(Errno.EFAULT);
      env.memory.u8.set(from, s.data + off);
      // skb->csum only matters with CHECKSUM_COMPLETE, which tsbpf's skbs never carry.
      if (r5 & BPF_F_INVALIDATE_HASH) clearHash(s);
      return 0n;
    },
  },
];
