// VLAN helpers: bpf_skb_vlan_push (18) and bpf_skb_vlan_pop (19). As in the kernel the pushed tag
// goes to the skb's accelerated tag (vlan_present/vlan_tci/vlan_proto in __sk_buff) and the bytes
// stay as they are; a tag already present is first written into the frame. Pop takes the
// accelerated tag if there is one, else the first tag in the frame, and then moves an inner
// tag to the accelerated one. Semantics of net/core/skbuff.c (skb_vlan_push, skb_vlan_pop,
// __skb_vlan_pop) and include/linux/if_vlan.h (vlan_insert_inner_tag, vlan_set_encap_proto).

import { Errno } from '../../uapi/errno.js';
import {
  ETH_ALEN,
  ETH_HLEN,
  ETH_P_802_2,
  ETH_P_802_3,
  ETH_P_802_3_MIN,
  ETH_P_8021AD,
  ETH_P_8021Q,
  VLAN_HLEN,
} from '../../uapi/index.js';
import type { SkbContext } from '../context/skb.js';
import { protocolOf, setProtocol, setVlanTag, skbExtra, vlanTag } from './skb-state.js';
import { type HelperImpl, neg, skbArg } from './types.js';

const isVlan = (proto: number) => proto === ETH_P_8021Q || proto === ETH_P_8021AD;

/** __vlan_insert_tag(): 4 bytes more at the front, MAC addresses moved, TPID and TCI written. */
function insertTag(s: SkbContext, proto: number, tci: number): void {
  if (s.headroom < VLAN_HLEN) s.expand(VLAN_HLEN, 0);
  const u8 = s.space.u8;
  s.data -= VLAN_HLEN;
  s.len += VLAN_HLEN;
  u8.copyWithin(s.data, s.data + VLAN_HLEN, s.data + VLAN_HLEN + 2 * ETH_ALEN);
  const v = s.space.view;
  v.setUint16(s.data + 2 * ETH_ALEN, proto, false);
  v.setUint16(s.data + 2 * ETH_ALEN + 2, tci & 0xffff, false);
}

/** __skb_vlan_pop(): removes the first in-frame tag; its TCI, or an errno. */
function popTag(s: SkbContext): { tci: number } | { errno: number } {
  // skb_ensure_writable(skb, VLAN_ETH_HLEN) fails on a shorter skb.
  if (s.len < ETH_HLEN + VLAN_HLEN) return { errno: Errno.ENOMEM };
  const v = s.space.view;
  const tci = v.getUint16(s.data + ETH_HLEN, false);
  const inner = v.getUint16(s.data + ETH_HLEN + 2, false);
  // vlan_set_encap_proto(): an Ethertype, else 802.3 raw (0xffff next) or 802.2 LLC.
  let proto = inner;
  if (inner < ETH_P_802_3_MIN) {
    proto =
      s.len >= ETH_HLEN + VLAN_HLEN + 2 && v.getUint16(s.data + ETH_HLEN + VLAN_HLEN, true) === 0xffff
        ? ETH_P_802_3
        : ETH_P_802_2;
  }
  s.space.u8.copyWithin(s.data + VLAN_HLEN, s.data, s.data + 2 * ETH_ALEN);
  s.data += VLAN_HLEN;
  s.len -= VLAN_HLEN;
  setProtocol(s, proto);
  // The network header stays put unless that leaves less than an Ethernet header before it.
  const e = skbExtra(s);
  e.macLen = Math.max(ETH_HLEN, e.macLen - VLAN_HLEN);
  return { tci };
}

export const vlanHelpers: readonly HelperImpl[] = [
  {
    id: 18, // bpf_skb_vlan_push(skb, vlan_proto (be16), vlan_tci)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 18);
      const be = Number(r2 & 0xffffn);
      let proto = ((be & 0xff) << 8) | (be >> 8);
      if (!isVlan(proto)) proto = ETH_P_8021Q;
      const present = vlanTag(s);
      if (present !== undefined) {
        insertTag(s, present.proto, present.tci);
        setProtocol(s, present.proto);
        skbExtra(s).macLen += VLAN_HLEN;
      }
      setVlanTag(s, { proto, tci: Number(r3 & 0xffffn) });
      s.sync();
      return 0n;
    },
  },
  {
    id: 19, // bpf_skb_vlan_pop(skb)
    fn: (env, r1) => {
      const s = skbArg(env, r1, 19);
      try {
        if (vlanTag(s) !== undefined) setVlanTag(s, undefined);
        else {
          if (!isVlan(protocolOf(s))) return 0n;
          const r = popTag(s);
          if ('errno' in r) return neg(r.errno);
        }
        // Move the next tag to the accelerated one.
        const proto = protocolOf(s);
        if (!isVlan(proto)) return 0n;
        const r = popTag(s);
        if ('errno' in r) return neg(r.errno);
        setVlanTag(s, { proto, tci: r.tci });
        return 0n;
      } finally {
        s.sync();
      }
    },
  },
];
