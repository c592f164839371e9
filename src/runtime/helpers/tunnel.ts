// Tunnel metadata helpers for TC: bpf_skb_set_tunnel_key (21), bpf_skb_get_tunnel_key (20),
// bpf_skb_set_tunnel_opt (30), bpf_skb_get_tunnel_opt (29). set_tunnel_key attaches TX tunnel
// metadata to the skb (the kernel's per-CPU metadata_dst), which a tunnel device would encapsulate
// with; get_tunnel_key reads the metadata back as received, so remote is the info's source and
// local its destination. Semantics, flag mappings and the accepted legacy sizes of struct
// bpf_tunnel_key from net/core/filter.c and include/net/ip_tunnels.h.
//
//   struct bpf_tunnel_key (44 bytes):
//   0 tunnel_id u32 | 4 remote_ipv4 / remote_ipv6[4] | 20 tos u8 | 21 ttl u8
//   22 tunnel_ext / tunnel_flags u16 | 24 tunnel_label u32 | 28 local_ipv4 / local_ipv6[4]

import { Errno } from '../../uapi/errno.js';
import { skbExtra, type TunnelInfo } from './skb-state.js';
import { type HelperImpl, neg, skbArg, u32 } from './types.js';

const KEY_SIZE = 44;
/** offsetof(remote_ipv6[1]), (tunnel_ext), (tunnel_label), (local_ipv4): older, shorter layouts. */
const LEGACY_SIZES = [8, 22, 24, 28];

const BPF_F_TUNINFO_IPV6 = 1n;
const BPF_F_ZERO_CSUM_TX = 2n;
const BPF_F_DONT_FRAGMENT = 4n;
const BPF_F_SEQ_NUMBER = 8n;
const BPF_F_NO_TUNNEL_KEY = 16n;
const BPF_F_TUNINFO_FLAGS = 16n;

/** TUNNEL_* flag bits (the be16 view of tun_flags, ip_tunnel_flags_to_be16). */
const TUNNEL_CSUM = 0x01;
const TUNNEL_KEY = 0x04;
const TUNNEL_SEQ = 0x08;
const TUNNEL_DONT_FRAGMENT = 0x0100;
const TUNNEL_NOCACHE = 0x2000;
/** ip_tunnel_set_options_present: GENEVE, VXLAN, ERSPAN and GTP options. */
const TUNNEL_OPTIONS_PRESENT = 0x0800 | 0x1000 | 0x4000 | 0x8000;
const IP_TUNNEL_OPTS_MAX = 255;
const IPV6_FLOWLABEL_MASK = 0xfffff;

const be32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
const fromBe32 = (b: Uint8Array) => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;

export const tunnelHelpers: readonly HelperImpl[] = [
  {
    id: 21, // bpf_skb_set_tunnel_key(skb, from, size, flags)
    fn: (env, r1, r2, r3, r4) => {
      const s = skbArg(env, r1, 21);
      const size = u32(r3);
      const known =
        BPF_F_TUNINFO_IPV6 |
        BPF_F_ZERO_CSUM_TX |
        BPF_F_DONT_FRAGMENT |
        BPF_F_SEQ_NUMBER |
        BPF_F_NO_TUNNEL_KEY;
      if (r4 & ~known) return neg(Errno.EINVAL);
      if (size !== KEY_SIZE && !LEGACY_SIZES.includes(size)) return neg(Errno.EINVAL);
      const key = new Uint8Array(KEY_SIZE);
      key.set(env.memory.bytes(r2, size));
      const v = new DataView(key.buffer);
      const ipv6 = (r4 & BPF_F_TUNINFO_IPV6) !== 0n;
      const label = v.getUint32(24, true);
      if ((!ipv6 && label !== 0) || v.getUint16(22, true) !== 0) return neg(Errno.EINVAL);
      let flags = TUNNEL_NOCACHE;
      if (r4 & BPF_F_DONT_FRAGMENT) flags |= TUNNEL_DONT_FRAGMENT;
      if (!(r4 & BPF_F_ZERO_CSUM_TX)) flags |= TUNNEL_CSUM;
      if (r4 & BPF_F_SEQ_NUMBER) flags |= TUNNEL_SEQ;
      if (!(r4 & BPF_F_NO_TUNNEL_KEY)) flags |= TUNNEL_KEY;
      // The addresses are host-order u32s in the struct (IPv4) or byte arrays copied as is (IPv6).
      const info: TunnelInfo = {
        ipv6,
        id: BigInt(v.getUint32(0, true)),
        tos: key[20]!,
        ttl: key[21]!,
        flags,
        dst: ipv6 ? key.slice(4, 20) : be32(v.getUint32(4, true)),
        src: ipv6 ? key.slice(28, 44) : be32(v.getUint32(28, true)),
        label: ipv6 ? label & IPV6_FLOWLABEL_MASK : 0,
        options: new Uint8Array(0),
      };
      skbExtra(s).tunnel = info;
      return 0n;
    },
  },
  {
    id: 20, // bpf_skb_get_tunnel_key(skb, to, size, flags)
    fn: (env, r1, r2, r3, r4) => {
      const s = skbArg(env, r1, 20);
      const size = u32(r3);
      const to = env.memory.bytes(r2, size, 'write');
      const fail = (errno: number) => {
        to.fill(0);
        return neg(errno);
      };
      const info = skbExtra(s).tunnel;
      if (info === undefined || r4 & ~(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS)) return fail(Errno.EINVAL);
      const ipv6 = (r4 & BPF_F_TUNINFO_IPV6) !== 0n;
      if (info.ipv6 !== ipv6) return fail(Errno.EPROTO);
      if (size !== KEY_SIZE && !(LEGACY_SIZES.includes(size) && (size !== 8 || !info.ipv6)))
        return fail(Errno.EINVAL);
      const key = new Uint8Array(KEY_SIZE);
      const v = new DataView(key.buffer);
      v.setUint32(0, Number(info.id & 0xffffffffn), true);
      key[20] = info.tos;
      key[21] = info.ttl;
      // tunnel_flags is a __be16.
      if (r4 & BPF_F_TUNINFO_FLAGS) v.setUint16(22, info.flags, false);
      if (ipv6) {
        key.set(info.src, 4);
        key.set(info.dst, 28);
        v.setUint32(24, info.label, true);
      } else {
        v.setUint32(4, fromBe32(info.src), true);
        v.setUint32(28, fromBe32(info.dst), true);
      }
      to.set(key.subarray(0, size));
      return 0n;
    },
  },
  {
    id: 30, // bpf_skb_set_tunnel_opt(skb, from, size)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 30);
      const size = u32(r3);
      const info = skbExtra(s).tunnel;
      if (info === undefined || size & 3) return neg(Errno.EINVAL);
      if (size > IP_TUNNEL_OPTS_MAX) return neg(Errno.ENOMEM);
      info.options = env.memory.bytes(r2, size).slice();
      if (size > 0) info.flags |= TUNNEL_OPTIONS_PRESENT;
      return 0n;
    },
  },
  {
    id: 29, // bpf_skb_get_tunnel_opt(skb, to, size)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 29);
      const size = u32(r3);
      const to = env.memory.bytes(r2, size, 'write');
      const info = skbExtra(s).tunnel;
      to.fill(0);
      if (info === undefined || !(info.flags & TUNNEL_OPTIONS_PRESENT)) return neg(Errno.ENOENT);
      if (size < info.options.length) return neg(Errno.ENOMEM);
      to.set(info.options);
      return BigInt(info.options.length);
    },
  },
];
