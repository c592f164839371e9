// The parts of a test-run sk_buff that skb helpers change beyond its bytes: skb->protocol and
// the VLAN tag (kept in the __sk_buff struct, where programs read them), and, kept here per
// context, the MAC header length, skb->encapsulation, the checksum state (ip_summed, csum_level)
// and how skb->hash was set. A test-run skb starts as bpf_prog_test_run_skb leaves it:
// CHECKSUM_NONE, network header 14 bytes after the MAC header, no tag, no hash.

import { SkBuff } from '../../uapi/context.js';
import { ETH_HLEN } from '../../uapi/index.js';
import type { SkbContext } from '../context/skb.js';

export interface SkbExtra {
  /** skb_mac_header_len(): network header - MAC header. */
  macLen: number;
  encapsulation: boolean;
  /** ip_summed == CHECKSUM_UNNECESSARY (otherwise CHECKSUM_NONE) and its csum_level. */
  csumUnnecessary: boolean;
  csumLevel: number;
  /** skb->sw_hash / skb->l4_hash: set by bpf_set_hash or a recalculation. */
  swHash: boolean;
  l4Hash: boolean;
  /** The tunnel metadata bpf_skb_set_tunnel_key attached (skb_tunnel_info), if any. */
  tunnel?: TunnelInfo | undefined;
}

/** struct ip_tunnel_info as the tunnel-key helpers fill and read it (TX mode, per-CPU md_dst). */
export interface TunnelInfo {
  ipv6: boolean;
  /** key.tun_id (host order). */
  id: bigint;
  tos: number;
  ttl: number;
  /** key.tun_flags as TUNNEL_* bits (ip_tunnel_flags_to_be16, in host order). */
  flags: number;
  /** key.u.ipv4/ipv6 src and dst, network byte order (4 or 16 bytes). */
  src: Uint8Array;
  dst: Uint8Array;
  /** key.label: the IPv6 flow label (20 bits). */
  label: number;
  /** The tunnel options (bpf_skb_set_tunnel_opt), at most 255 bytes. */
  options: Uint8Array;
}

const extras = new WeakMap<SkbContext, SkbExtra>();

export function skbExtra(s: SkbContext): SkbExtra {
  let e = extras.get(s);
  if (e === undefined) {
    e = {
      macLen: ETH_HLEN,
      encapsulation: false,
      csumUnnecessary: false,
      csumLevel: 0,
      swHash: false,
      l4Hash: false,
    };
    extras.set(s, e);
  }
  return e;
}

const swap16 = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);
const at = (s: SkbContext, f: string) => s.struct.start + SkBuff[f]!;

/** skb->protocol in host order (the struct holds the big-endian value as loaded). */
export const protocolOf = (s: SkbContext): number => swap16(s.space.view.getUint32(at(s, 'protocol'), true));
export function setProtocol(s: SkbContext, proto: number): void {
  s.space.view.setUint32(at(s, 'protocol'), swap16(proto), true);
}

export interface VlanTag {
  /** TPID in host order (0x8100 or 0x88a8). */
  readonly proto: number;
  readonly tci: number;
}

/** The hardware-accelerated tag (skb->vlan_all), or undefined when none is present. */
export function vlanTag(s: SkbContext): VlanTag | undefined {
  const v = s.space.view;
  if (v.getUint32(at(s, 'vlan_present'), true) === 0) return undefined;
  return { proto: swap16(v.getUint32(at(s, 'vlan_proto'), true)), tci: v.getUint32(at(s, 'vlan_tci'), true) };
}

/** __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag. */
export function setVlanTag(s: SkbContext, tag: VlanTag | undefined): void {
  const v = s.space.view;
  v.setUint32(at(s, 'vlan_present'), tag === undefined ? 0 : 1, true);
  v.setUint32(at(s, 'vlan_proto'), tag === undefined ? 0 : swap16(tag.proto), true);
  v.setUint32(at(s, 'vlan_tci'), tag === undefined ? 0 : tag.tci & 0xffff, true);
}

/** skb->hash as programs read it. */
export const hashOf = (s: SkbContext): number => s.space.view.getUint32(at(s, 'hash'), true);
export function setHash(s: SkbContext, hash: number): void {
  s.space.view.setUint32(at(s, 'hash'), hash >>> 0, true);
}

/** skb_clear_hash(). */
export function clearHash(s: SkbContext): void {
  setHash(s, 0);
  const e = skbExtra(s);
  e.swHash = false;
  e.l4Hash = false;
}

/** __skb_reset_checksum_unnecessary(). */
export function resetChecksumUnnecessary(s: SkbContext): void {
  const e = skbExtra(s);
  e.csumUnnecessary = false;
  e.csumLevel = 0;
}

/** skb->dev->ifindex: the __sk_buff ifindex field (read-only to programs; lo when none was given). */
export const skbDevice = (s: SkbContext): number => s.space.view.getUint32(at(s, 'ifindex'), true);
