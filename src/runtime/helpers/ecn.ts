// bpf_skb_ecn_set_ce (97): marks an ECN-capable IPv4 or IPv6 packet Congestion Experienced.
// Semantics of net/core/filter.c (bpf_skb_ecn_set_ce) and include/net/inet_ecn.h
// (IP_ECN_set_ce, IP6_ECN_set_ce): 1 when the packet is CE afterwards, 0 when it is not
// ECN-capable (Not-ECT) or not IP; IPv4 updates the header checksum incrementally (RFC 1624),
// IPv6 has none to fix (its skbs here are never CHECKSUM_COMPLETE).

import { NotSupportedError } from '../../errors.js';
import { ETH_P_IP, ETH_P_IPV6 } from '../../uapi/index.js';
import { protocolOf, skbExtra } from './skb-state.js';
import { type HelperImpl, skbArg } from './types.js';

const INET_ECN_MASK = 3;
const INET_ECN_CE = 3;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;

/** One's-complement 16-bit addition with end-around carry (csum16_add). */
const csum16Add = (a: number, b: number): number => {
  const r = a + b;
  return (r & 0xffff) + (r >>> 16);
};

export const ecnHelpers: readonly HelperImpl[] = [
  {
    id: 97, // bpf_skb_ecn_set_ce(skb)
    fn: (env, r1) => {
      const s = skbArg(env, r1, 97);
      const proto = protocolOf(s);
      if (proto === 0x8100 || proto === 0x88a8)
        throw new NotSupportedError('bpf_skb_ecn_set_ce on a VLAN-tagged skb', `at pc ${env.pc}`);
      const hlen = proto === ETH_P_IP ? IPV4_HLEN : proto === ETH_P_IPV6 ? IPV6_HLEN : 0;
      if (hlen === 0 || s.len < hlen) return 0n;
      const net = s.data + skbExtra(s).macLen;
      if (net + hlen > s.data + s.len) return 0n;
      const u8 = s.space.u8;
      if (proto === ETH_P_IP) {
        // (tos + 1) & 3: Not-ECT 1, ECT(1) 2, ECT(0) 3, CE 0.
        const ecn = (u8[net + 1]! + 1) & INET_ECN_MASK;
        if (!(ecn & 2)) return ecn === 0 ? 1n : 0n;
        const check = csum16Add((u8[net + 10]! << 8) | u8[net + 11]!, 0xfffb + ecn);
        u8[net + 10] = check >> 8;
        u8[net + 11] = check & 0xff;
        u8[net + 1] = u8[net + 1]! | INET_ECN_CE;
        return 1n;
      }
      // Traffic class spans bytes 0-1: the ECN bits are bits 4-5 of byte 1.
      if (((u8[net + 1]! >> 4) & INET_ECN_MASK) === 0) return 0n;
      u8[net + 1] = u8[net + 1]! | (INET_ECN_CE << 4);
      return 1n;
    },
  },
];
