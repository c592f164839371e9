// A traffic generator: Ethernet/IPv4 UDP or TCP frames from templates whose addresses, ports and
// sizes vary over ranges, with timestamps at a given rate. Addresses and ports step through their
// ranges in order (so flows spread evenly over RSS queues); sizes come from a seeded generator
// (runs repeat). Headers carry valid IPv4, UDP and TCP checksums (RFC 791, 768, 793).

import { TsbpfError } from '../errors.js';
import { csumAdd, csumFold, csumPartial } from '../runtime/helpers/csum-math.js';
import { ipv4FromText } from '../uapi/addresses.js';
import { parseMac } from './device.js';
import type { PcapPacket } from './pcap.js';

/** A number or an inclusive [low, high] range. */
export type Span = number | readonly [number, number];

export interface TrafficTemplate {
  /** Frames to make. */
  readonly count: number;
  /** Default 'udp'. */
  readonly protocol?: 'udp' | 'tcp';
  /** An IPv4 address or a CIDR block (a.b.c.d/n) whose addresses are used in turn; default 10.0.0.1. */
  readonly src?: string;
  /** Default 10.0.0.2. */
  readonly dst?: string;
  /** Default 1024..65535 in turn for the source, 53 for the destination. */
  readonly srcPort?: Span;
  readonly dstPort?: Span;
  /** Frame length from the MAC header, without FCS; default 64. At least the headers (42 UDP, 54 TCP). */
  readonly size?: Span;
  /** Default 64. */
  readonly ttl?: number;
  /** Default 02:00:00:00:00:01 -> 02:00:00:00:00:02. */
  readonly srcMac?: string;
  readonly dstMac?: string;
  /** An 802.1Q tag with this VLAN id. */
  readonly vlan?: number;
  /** Frames per second (timestamps); default 1e6. */
  readonly rate?: number;
  /** The first timestamp, ns since the epoch; default 0. */
  readonly start?: bigint;
}

const bad = (msg: string) => new TsbpfError('INVALID_ARGUMENT', `traffic: ${msg}`);

function parseIpv4(text: string): number {
  const b = ipv4FromText(text);
  if (b === undefined) throw bad(`'${text}' is not an IPv4 address`);
  return b.reduce((a, x) => a * 256 + x, 0);
}

/** An address or CIDR block as [first, count]. */
function addressRange(text: string): [number, number] {
  const [addr, bits] = text.split('/');
  const base = parseIpv4(addr!);
  if (bits === undefined) return [base, 1];
  const n = Number(bits);
  if (!/^\d{1,2}$/.test(bits) || n > 32) throw bad(`'${text}': prefix length`);
  const size = 2 ** (32 - n);
  return [base - (base % size), size];
}

function spanRange(span: Span, what: string, max: number): [number, number] {
  const [lo, hi] = typeof span === 'number' ? [span, span] : span;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi > max)
    throw bad(`${what} ${JSON.stringify(span)} (integers 0..${max}, low <= high)`);
  return [lo, hi];
}

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The one's-complement checksum of `bytes` as stored in memory (little-endian sums, stored as is). */
const checksum = (bytes: Uint8Array, seed = 0) => csumFold(csumPartial(bytes, seed));

/**
 * The frames of `templates` (one or several, merged by timestamp), deterministic for a `seed`.
 */
export function generateTraffic(
  templates: TrafficTemplate | readonly TrafficTemplate[],
  options: { readonly seed?: number } = {},
): PcapPacket[] {
  const random = seeded(options.seed ?? 1);
  const out: PcapPacket[] = [];
  for (const t of Array.isArray(templates) ? templates : [templates as TrafficTemplate]) {
    if (!Number.isInteger(t.count) || t.count < 0 || t.count > 10_000_000) throw bad(`count ${t.count}`);
    const tcp = (t.protocol ?? 'udp') === 'tcp';
    if (t.protocol !== undefined && t.protocol !== 'udp' && t.protocol !== 'tcp')
      throw bad(`protocol '${t.protocol}' (udp or tcp)`);
    const [src, srcN] = addressRange(t.src ?? '10.0.0.1');
    const [dst, dstN] = addressRange(t.dst ?? '10.0.0.2');
    const [sp, spHi] = spanRange(t.srcPort ?? [1024, 65535], 'srcPort', 65535);
    const [dp, dpHi] = spanRange(t.dstPort ?? 53, 'dstPort', 65535);
    const vlan = t.vlan;
    if (vlan !== undefined && (!Number.isInteger(vlan) || vlan < 0 || vlan > 4095)) throw bad(`vlan ${vlan}`);
    const l2 = 14 + (vlan === undefined ? 0 : 4);
    const headers = l2 + 20 + (tcp ? 20 : 8);
    const [szLo, szHi] = spanRange(t.size ?? 64, 'size', 65535);
    if (szLo < headers) throw bad(`size ${szLo} below the ${headers} bytes of headers`);
    const ttl = t.ttl ?? 64;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw bad(`ttl ${ttl}`);
    const rate = t.rate ?? 1e6;
    if (!(rate > 0)) throw bad(`rate ${rate}`);
    const srcMac = parseMac(t.srcMac ?? '02:00:00:00:00:01');
    const dstMac = parseMac(t.dstMac ?? '02:00:00:00:00:02');
    const start = t.start ?? 0n;
    for (let i = 0; i < t.count; i++) {
      const size = szLo + Math.floor(random() * (szHi - szLo + 1));
      const f = new Uint8Array(size);
      const v = new DataView(f.buffer);
      f.set(dstMac, 0);
      f.set(srcMac, 6);
      if (vlan !== undefined) {
        v.setUint16(12, 0x8100);
        v.setUint16(14, vlan);
      }
      v.setUint16(l2 - 2, 0x0800);
      const ip = l2;
      const l4 = ip + 20;
      v.setUint8(ip, 0x45);
      v.setUint16(ip + 2, size - l2);
      v.setUint16(ip + 4, i & 0xffff);
      v.setUint16(ip + 6, 0x4000); // DF
      v.setUint8(ip + 8, ttl);
      v.setUint8(ip + 9, tcp ? 6 : 17);
      v.setUint32(ip + 12, (src + (i % srcN)) >>> 0);
      v.setUint32(ip + 16, (dst + (i % dstN)) >>> 0);
      v.setUint16(ip + 10, checksum(f.subarray(ip, l4)), true);
      v.setUint16(l4, sp + (i % (spHi - sp + 1)));
      v.setUint16(l4 + 2, dp + (i % (dpHi - dp + 1)));
      const l4len = size - l4;
      for (let k = headers; k < size; k++) f[k] = (i + k) & 0xff;
      if (tcp) {
        v.setUint32(l4 + 4, i);
        v.setUint8(l4 + 12, 5 << 4);
        v.setUint8(l4 + 13, 0x18); // PSH ACK
        v.setUint16(l4 + 14, 65535);
      } else v.setUint16(l4 + 4, l4len);
      // Pseudo-header: addresses, protocol, length (as big-endian words in memory order).
      const pseudo = new Uint8Array(12);
      pseudo.set(f.subarray(ip + 12, ip + 20), 0);
      pseudo[9] = tcp ? 6 : 17;
      new DataView(pseudo.buffer).setUint16(10, l4len);
      const sum = csumAdd(csumPartial(pseudo, 0), csumPartial(f.subarray(l4, size), 0));
      let c = csumFold(sum);
      if (!tcp && c === 0) c = 0xffff; // UDP: 0 means "no checksum"
      v.setUint16(l4 + (tcp ? 16 : 6), c, true);
      const timestamp = start + BigInt(Math.round((i * 1e9) / rate));
      out.push({ timestamp, data: f, originalLength: size });
    }
  }
  // Stable: equal timestamps keep template order.
  return out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}
