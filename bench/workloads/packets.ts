// Ethernet/IPv4/UDP frames for the workload set, built here with both checksums computed in full
// (RFC 791 header checksum, RFC 768 UDP checksum over the pseudo-header), so that a program's
// incremental update can be compared with a frame built from scratch.

export interface UdpFrameOptions {
  /** Length of the whole frame in bytes (Ethernet header included, no FCS); at least 42. */
  readonly size: number;
  readonly srcMac?: readonly number[];
  readonly dstMac?: readonly number[];
  readonly saddr?: readonly [number, number, number, number];
  readonly daddr?: readonly [number, number, number, number];
  readonly sport?: number;
  readonly dport?: number;
  readonly ttl?: number;
  /** Send without a UDP checksum (0, RFC 768). */
  readonly noChecksum?: boolean;
}

/** The frames' default addresses (locally administered MACs, RFC 1918 IPv4). */
export const SRC_MAC = [0x02, 0, 0, 0, 0, 0x01] as const;
export const DST_MAC = [0x02, 0, 0, 0, 0, 0x02] as const;

const ETH = 14;
const IP = 20;
const UDP = 8;

/** One's-complement sum of 16-bit big-endian words (an odd last byte padded with zero), unfolded. */
function sum16(bytes: Uint8Array, from: number, to: number, sum = 0): number {
  for (let k = from; k < to; k += 2) sum += (bytes[k]! << 8) | (k + 1 < to ? bytes[k + 1]! : 0);
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** A UDP datagram in IPv4 in Ethernet, with a deterministic payload and correct checksums. */
export function udpFrame(o: UdpFrameOptions): Uint8Array {
  if (o.size < ETH + IP + UDP)
    throw new RangeError(`a UDP frame needs ${ETH + IP + UDP} bytes, not ${o.size}`);
  const f = new Uint8Array(o.size);
  const v = new DataView(f.buffer);
  f.set(o.dstMac ?? DST_MAC, 0);
  f.set(o.srcMac ?? SRC_MAC, 6);
  v.setUint16(12, 0x0800);
  const ipLen = o.size - ETH;
  f[ETH] = 0x45;
  v.setUint16(ETH + 2, ipLen);
  v.setUint16(ETH + 4, 0x1234); // identification
  v.setUint16(ETH + 6, 0x4000); // DF
  f[ETH + 8] = o.ttl ?? 64;
  f[ETH + 9] = 17; // UDP
  f.set(o.saddr ?? [10, 0, 0, 1], ETH + 12);
  f.set(o.daddr ?? [10, 0, 0, 2], ETH + 16);
  v.setUint16(ETH + 10, ~fold(sum16(f, ETH, ETH + IP)) & 0xffff);
  const u = ETH + IP;
  const udpLen = ipLen - IP;
  v.setUint16(u, o.sport ?? 40000);
  v.setUint16(u + 2, o.dport ?? 5000);
  v.setUint16(u + 4, udpLen);
  for (let k = u + UDP; k < o.size; k++) f[k] = (k * 7 + 3) & 0xff;
  if (!o.noChecksum) {
    const pseudo = sum16(f, ETH + 12, ETH + 20) + 17 + udpLen;
    const check = ~fold(sum16(f, u, u + udpLen, pseudo)) & 0xffff;
    v.setUint16(u + 6, check === 0 ? 0xffff : check);
  }
  return f;
}
