// Helpers that change an skb's size: bpf_skb_change_proto (31), bpf_skb_adjust_room (50),
// bpf_skb_change_tail (38), bpf_skb_change_head (43), bpf_skb_pull_data (39). Room is made or
// removed after the MAC header (change_proto, adjust_room MAC mode) or after the base L3 header
// (adjust_room NET mode); new bytes are zero, the program writes the headers. Checks, errnos and
// limits follow net/core/filter.c (bpf_skb_proto_xlat, bpf_skb_adjust_room, bpf_skb_net_grow/
// shrink, __bpf_skb_change_tail/head); __sk_buff len/data/data_end/protocol follow every change.

import { SkBuff } from '../../uapi/context.js';
import { Errno } from '../../uapi/errno.js';
import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6 } from '../../uapi/index.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import type { SkbContext } from '../context/skb.js';
import { SKB_SHARED_INFO_SIZE } from '../context/types.js';
import { clearHash, protocolOf, resetChecksumUnnecessary, setProtocol, skbExtra } from './skb-state.js';
import { type HelperImpl, neg, s32, skbArg, u32 } from './types.js';

const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: SKB_WITH_OVERHEAD(PAGE_SIZE << 2). */
export const BPF_SKB_MAX_LEN = (PAGE_SIZE << 2) - SKB_SHARED_INFO_SIZE;
/** EALREADY (include/uapi/asm-generic/errno.h). */
const EALREADY = 114;

/** bpf_skb_adjust_room modes and flags (uapi <linux/bpf.h>). */
export const BPF_ADJ_ROOM_NET = 0;
export const BPF_ADJ_ROOM_MAC = 1;
export const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
export const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
export const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
const ENCAP_L2_SHIFT = 56n;
const ENCAP_L3_MASK = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3_MASK = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
const ADJ_ROOM_MASK =
  BPF_F_ADJ_ROOM_FIXED_GSO |
  ENCAP_L3_MASK |
  BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
  BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
  BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
  (0xffn << ENCAP_L2_SHIFT) |
  DECAP_L3_MASK;

/** skb_is_gso(): a test run's skb is GSO when ctx_in gave it a gso_size (gso_type stays 0). */
const isGso = (s: SkbContext) => s.space.view.getUint32(s.struct.start + SkBuff.gso_size!, true) !== 0;

/** skb_cow(skb, n): at least n bytes of headroom. */
function cow(s: SkbContext, n: number): void {
  if (s.headroom < n) s.expand(n, 0);
}

/** bpf_skb_generic_push(): `len` zero bytes inserted at offset `off` (the first off bytes move up). */
function push(s: SkbContext, off: number, len: number): void {
  cow(s, len);
  const u8 = s.space.u8;
  s.data -= len;
  s.len += len;
  u8.copyWithin(s.data, s.data + len, s.data + len + off);
  u8.fill(0, s.data + off, s.data + off + len);
}

/** bpf_skb_generic_pop(): `len` bytes removed at offset `off`; -ENOMEM when off + len passes the end. */
function pop(s: SkbContext, off: number, len: number): number {
  if (off + len > s.len) return Errno.ENOMEM;
  s.space.u8.copyWithin(s.data + len, s.data, s.data + off);
  s.data += len;
  s.len -= len;
  return 0;
}

/** bpf_skb_net_base_len(). */
function baseLen(proto: number): number {
  if (proto === ETH_P_IP) return IPV4_HLEN;
  if (proto === ETH_P_IPV6) return IPV6_HLEN;
  return 0xffffffff;
}

function netGrow(s: SkbContext, off: number, len: number, flags: bigint): number {
  const innerMacLen = Number((flags >> ENCAP_L2_SHIFT) & 0xffn);
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  // A GSO skb here has no gso_type, so neither TCP nor UDP_L4: refused.
  if (isGso(s)) return Errno.ENOTSUPP;
  const proto = protocolOf(s);
  const e = skbExtra(s);
  if (encap) {
    if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) return Errno.ENOTSUPP;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) return Errno.EINVAL;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE && flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP) return Errno.EINVAL;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH && innerMacLen < ETH_HLEN) return Errno.EINVAL;
    if (e.encapsulation) return EALREADY;
    if (innerMacLen > len) return Errno.EINVAL;
  }
  push(s, off, len);
  if (encap) {
    e.encapsulation = true;
    if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) setProtocol(s, ETH_P_IPV6);
    else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) setProtocol(s, ETH_P_IP);
  }
  return 0;
}

function netShrink(s: SkbContext, off: number, len: number, flags: bigint): number {
  if (flags & ~(BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return Errno.EINVAL;
  if (isGso(s)) return Errno.ENOTSUPP;
  const err = pop(s, off, len);
  if (err !== 0) return err;
  const proto = protocolOf(s);
  if (proto === ETH_P_IP && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6) setProtocol(s, ETH_P_IPV6);
  else if (proto === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4) setProtocol(s, ETH_P_IP);
  return 0;
}

function adjustRoom(s: SkbContext, lenDiff: number, mode: number, flags: bigint): number {
  const abs = Math.abs(lenDiff);
  const shrink = lenDiff < 0;
  const proto = protocolOf(s);
  let lenMin = baseLen(proto);
  if (flags & ~(ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return Errno.EINVAL;
  if (abs > 0xfff) return Errno.EFAULT;
  if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) return Errno.ENOTSUPP;
  const e = skbExtra(s);
  let off = e.macLen;
  if (mode === BPF_ADJ_ROOM_NET) off += baseLen(proto);
  else if (mode !== BPF_ADJ_ROOM_MAC) return Errno.ENOTSUPP;
  if (flags & DECAP_L3_MASK) {
    if (!shrink) return Errno.EINVAL;
    const decap = flags & DECAP_L3_MASK;
    if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV4) lenMin = IPV4_HLEN;
    else if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV6) lenMin = IPV6_HLEN;
    else return Errno.EINVAL;
  }
  const lenCur = s.len - e.macLen;
  if (
    (shrink && (abs >= lenCur || lenCur - abs < lenMin)) ||
    (!shrink && s.len + abs > BPF_SKB_MAX_LEN && !isGso(s))
  )
    return Errno.ENOTSUPP;
  const err = shrink ? netShrink(s, off, abs, flags) : netGrow(s, off, abs, flags);
  if (err === 0 && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET)) resetChecksumUnnecessary(s);
  return err;
}

function changeProto(s: SkbContext, to: number): number {
  const from = protocolOf(s);
  const off = skbExtra(s).macLen;
  const diff = IPV6_HLEN - IPV4_HLEN;
  if (from === ETH_P_IP && to === ETH_P_IPV6) push(s, off, diff);
  else if (from === ETH_P_IPV6 && to === ETH_P_IP) {
    const err = pop(s, off, diff);
    if (err !== 0) return err;
  } else return Errno.ENOTSUPP;
  setProtocol(s, to);
  clearHash(s);
  return 0;
}

/** __bpf_skb_min_len(): the network offset (no transport header is set in a test run). */
const minLen = (s: SkbContext) => skbExtra(s).macLen;

function changeTail(s: SkbContext, newLen: number, flags: bigint): number {
  if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < minLen(s)) return Errno.EINVAL;
  if (skbExtra(s).encapsulation) return Errno.ENOTSUPP;
  if (newLen > s.len) {
    if (s.tailroom < newLen - s.len) s.expand(0, newLen - s.len);
    s.space.u8.fill(0, s.data + s.len, s.data + newLen);
  }
  s.len = newLen;
  if (isGso(s)) {
    // skb_gso_reset()
    const v = s.space.view;
    v.setUint32(s.struct.start + SkBuff.gso_size!, 0, true);
    v.setUint32(s.struct.start + SkBuff.gso_segs!, 0, true);
  }
  return 0;
}

function changeHead(s: SkbContext, room: number, flags: bigint): number {
  const newLen = s.len + room;
  if (flags !== 0n || (!isGso(s) && newLen > BPF_SKB_MAX_LEN) || newLen > 0xffffffff) return Errno.EINVAL;
  cow(s, room);
  s.data -= room;
  s.len += room;
  s.space.u8.fill(0, s.data, s.data + room);
  // skb_reset_mac_header(): the MAC header starts at the new front; the network header stays.
  skbExtra(s).macLen += room;
  return 0;
}

/** Runs `f` on the skb and refreshes __sk_buff (bpf_compute_data_pointers) whatever it answered. */
function withSkb(s: SkbContext, f: () => number): bigint {
  try {
    const err = f();
    return err === 0 ? 0n : neg(err);
  } finally {
    s.sync();
  }
}

export const roomHelpers: readonly HelperImpl[] = [
  {
    id: 31, // bpf_skb_change_proto(skb, proto (be16), flags)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 31);
      if (r3 !== 0n) return neg(Errno.EINVAL);
      const be = Number(r2 & 0xffffn);
      return withSkb(s, () => changeProto(s, ((be & 0xff) << 8) | (be >> 8)));
    },
  },
  {
    id: 50, // bpf_skb_adjust_room(skb, len_diff, mode, flags)
    fn: (env, r1, r2, r3, r4) => {
      const s = skbArg(env, r1, 50);
      return withSkb(s, () => adjustRoom(s, s32(r2), u32(r3), r4));
    },
  },
  {
    id: 38, // bpf_skb_change_tail(skb, new_len, flags)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 38);
      return withSkb(s, () => changeTail(s, u32(r2), r3));
    },
  },
  {
    id: 43, // bpf_skb_change_head(skb, head_room, flags)
    fn: (env, r1, r2, r3) => {
      const s = skbArg(env, r1, 43);
      return withSkb(s, () => changeHead(s, u32(r2), r3));
    },
  },
  {
    id: 39, // bpf_skb_pull_data(skb, len): the skb is linear; only a length past its end fails
    fn: (env, r1, r2) => {
      const s = skbArg(env, r1, 39);
      const len = u32(r2);
      return withSkb(s, () => (len > s.len ? Errno.ENOMEM : 0));
    },
  },
];
