// Receive-side scaling: which RX queue a frame lands on. The Toeplitz hash of the IPv4/IPv6
// addresses and, for unfragmented TCP/UDP, the ports (Microsoft's RSS specification, with its
// well-known default 40-byte key, the one most NIC drivers ship), looked up in the default
// indirection table of 128 entries (ethtool_rxfh_indir_default: entry i is queue i % n).
// Frames that are not IP hash to 0 (queue 0).

import { ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6 } from '../uapi/ethernet.js';

const RSS_KEY = Uint8Array.from(
  '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa'.match(/../g)!,
  (h) => Number.parseInt(h, 16),
);
const INDIRECTION_SIZE = 128;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Toeplitz over `input` (at most 36 bytes: IPv6 addresses and ports) with the default key. */
export function toeplitz(input: Uint8Array, length = input.length): number {
  let result = 0;
  // The 32-bit window of the key starting at the current bit.
  let window = ((RSS_KEY[0]! << 24) | (RSS_KEY[1]! << 16) | (RSS_KEY[2]! << 8) | RSS_KEY[3]!) >>> 0;
  for (let i = 0; i < length; i++) {
    const byte = input[i]!;
    const next = RSS_KEY[i + 4] ?? 0;
    for (let b = 7; b >= 0; b--) {
      if (byte & (1 << b)) result = (result ^ window) >>> 0;
      window = ((window << 1) | ((next >> b) & 1)) >>> 0;
    }
  }
  return result;
}

const scratch = new Uint8Array(36);

/** The RSS hash of an Ethernet frame (0 for non-IP or truncated frames). */
export function rssHash(frame: Uint8Array): number {
  let at = ETH_HLEN;
  if (frame.length < at) return 0;
  let type = (frame[12]! << 8) | frame[13]!;
  while ((type === ETH_P_8021Q || type === ETH_P_8021AD) && frame.length >= at + 4) {
    type = (frame[at + 2]! << 8) | frame[at + 3]!;
    at += 4;
  }
  let n: number;
  let proto: number;
  let l4: number;
  let fragmented = false;
  if (type === ETH_P_IP) {
    if (frame.length < at + 20) return 0;
    const ihl = (frame[at]! & 0xf) * 4;
    proto = frame[at + 9]!;
    fragmented = (((frame[at + 6]! << 8) | frame[at + 7]!) & 0x3fff) !== 0;
    scratch.set(frame.subarray(at + 12, at + 20), 0);
    n = 8;
    l4 = at + ihl;
  } else if (type === ETH_P_IPV6) {
    if (frame.length < at + 40) return 0;
    proto = frame[at + 6]!;
    scratch.set(frame.subarray(at + 8, at + 40), 0);
    n = 32;
    l4 = at + 40;
  } else return 0;
  if (!fragmented && (proto === IPPROTO_TCP || proto === IPPROTO_UDP) && frame.length >= l4 + 4) {
    scratch.set(frame.subarray(l4, l4 + 4), n);
    n += 4;
  }
  return toeplitz(scratch, n);
}

/** The RX queue of `frame` on a device with `queues` queues. */
export function rssQueue(frame: Uint8Array, queues: number): number {
  if (queues <= 1) return 0;
  return (rssHash(frame) % INDIRECTION_SIZE) % queues;
}
