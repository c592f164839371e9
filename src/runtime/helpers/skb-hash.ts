// Flow-hash helpers: bpf_get_hash_recalc (34), bpf_set_hash_invalid (41), bpf_set_hash (48).
// A hash set by bpf_set_hash (or an earlier recalculation) is returned as is, as skb_get_hash()
// does. A fresh recalculation cannot equal the kernel's: __skb_get_hash() keys its flow hash
// with a random boot-time seed (hashrnd); tsbpf hashes the same flow fields (addresses, ports,
// protocol) with FNV-1a instead, never 0 as the kernel guarantees.

import { ETH_P_IP, ETH_P_IPV6 } from '../../uapi/index.js';
import type { SkbContext } from '../context/skb.js';
import { clearHash, hashOf, protocolOf, setHash, skbExtra } from './skb-state.js';
import { type HelperImpl, skbArg, u32 } from './types.js';

/** The flow fields __skb_get_hash() dissects: L3 addresses, L4 protocol and ports where present. */
function flowKey(s: SkbContext): Uint8Array {
  const u8 = s.space.u8;
  const net = s.data + skbExtra(s).macLen;
  const end = s.data + s.len;
  const proto = protocolOf(s);
  let l4 = -1;
  let l4proto = 0;
  const parts: number[] = [proto >> 8, proto & 0xff];
  if (proto === ETH_P_IP && net + 20 <= end) {
    l4proto = u8[net + 9]!;
    parts.push(...u8.subarray(net + 12, net + 20), l4proto);
    const fragmented = (((u8[net + 6]! & 0x3f) << 8) | u8[net + 7]!) !== 0;
    if (!fragmented) l4 = net + (u8[net]! & 0xf) * 4;
  } else if (proto === ETH_P_IPV6 && net + 40 <= end) {
    l4proto = u8[net + 6]!;
    parts.push(...u8.subarray(net + 8, net + 40), l4proto);
    l4 = net + 40;
  }
  if (l4 >= 0 && (l4proto === 6 || l4proto === 17) && l4 + 4 <= end) parts.push(...u8.subarray(l4, l4 + 4));
  return Uint8Array.from(parts);
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h || 1;
}

export const hashHelpers: readonly HelperImpl[] = [
  {
    id: 34, // bpf_get_hash_recalc(skb) -> skb_get_hash(skb)
    fn: (env, r1) => {
      const s = skbArg(env, r1, 34);
      const e = skbExtra(s);
      if (!e.swHash && !e.l4Hash) {
        setHash(s, fnv1a(flowKey(s)));
        e.swHash = true;
      }
      return BigInt(hashOf(s));
    },
  },
  {
    id: 41, // bpf_set_hash_invalid(skb) -> skb_clear_hash(skb)
    fn: (env, r1) => {
      clearHash(skbArg(env, r1, 41));
      return 0n;
    },
  },
  {
    id: 48, // bpf_set_hash(skb, hash) -> __skb_set_sw_hash(skb, hash, true)
    fn: (env, r1, r2) => {
      const s = skbArg(env, r1, 48);
      setHash(s, u32(r2));
      const e = skbExtra(s);
      e.swHash = true;
      e.l4Hash = true;
      return 0n;
    },
  },
];
