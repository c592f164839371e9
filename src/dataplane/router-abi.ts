// The byte layout of examples/router/router.c's map keys, values and ring-buffer records, and the
// codecs between them and the controller's types. Addresses are IPv4 dotted quads in the API and
// network byte order in the maps; everything else is little-endian (the BPF target's order).

import { TsbpfError } from '../index.js';
import { parseMac } from '../net/index.js';

/** A controller's bad argument (an address, prefix, MAC or VLAN). */
const invalid = (message: string) => new TsbpfError('INVALID_ARGUMENT', `dataplane: ${message}`);

/** enum reason in router.c: the counters of the `stats` map, in order. */
export const REASONS = [
  'forward',
  'notIpv4',
  'ttl',
  'noRoute',
  'local',
  'punt',
  'noNeighbour',
  'fibMiss',
  'bad',
  'tcIngress',
  'tcEgress',
] as const;
export type Reason = (typeof REASONS)[number];

/** Route flags (ROUTE_F_* in router.c). */
export const ROUTE_FIB = 1;
export const ROUTE_LOCAL = 2;
export const ROUTE_PUNT = 4;

export interface FlowKey {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** IP protocol number (6 TCP, 17 UDP, ...). */
  readonly protocol: number;
}

export interface FlowEvent {
  readonly flow: FlowKey;
  readonly inIfindex: number;
  readonly outIfindex: number;
  /** The next hop the frame went to (the destination itself when on-link). */
  readonly nexthop: string;
  /** The 802.1Q VLAN the frame arrived with (0: untagged). */
  readonly vlan: number;
}

export interface FlowEntry {
  readonly flow: FlowKey;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly ifindex: number;
  readonly nexthop: string;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** a.b.c.d → its 4 bytes in network order; refuses anything else. */
export function ipv4Bytes(address: string, what = 'address'): Uint8Array {
  const parts = address.split('.');
  const bytes = parts.map(Number);
  if (parts.length !== 4 || bytes.some((n, i) => !/^\d{1,3}$/.test(parts[i]!) || n > 255))
    throw invalid(`${what} '${address}' is not an IPv4 address (a.b.c.d)`);
  return Uint8Array.from(bytes);
}

export const ipv4Text = (b: Uint8Array): string => Array.from(b.subarray(0, 4)).join('.');

export const u32Bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  view(b).setUint32(0, n >>> 0, true);
  return b;
};

/** '10.20.0.0/16' → struct route_key {u32 prefixlen; be32 addr}. */
export function routeKey(prefix: string): Uint8Array {
  const [addr, len = '32', ...rest] = prefix.split('/');
  const bits = Number(len);
  if (rest.length > 0 || !/^\d{1,2}$/.test(len) || bits > 32)
    throw invalid(`route '${prefix}' is not an IPv4 prefix (a.b.c.d/len, len 0-32)`);
  const key = new Uint8Array(8);
  view(key).setUint32(0, bits, true);
  key.set(ipv4Bytes(addr ?? '', `route '${prefix}'`), 4);
  return key;
}

export function routePrefix(key: Uint8Array): string {
  return `${ipv4Text(key.subarray(4, 8))}/${view(key).getUint32(0, true)}`;
}

/** struct route {be32 nexthop; u32 ifindex; u32 flags}. */
export function routeValue(nexthop: string | undefined, ifindex: number, flags: number): Uint8Array {
  const v = new Uint8Array(12);
  if (nexthop !== undefined) v.set(ipv4Bytes(nexthop, 'next hop'), 0);
  view(v).setUint32(4, ifindex, true);
  view(v).setUint32(8, flags, true);
  return v;
}

/** struct neigh / struct iface: a MAC and a u16 (padding, or the VLAN). */
export function macValue(mac: string, vlan = 0): Uint8Array {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094) throw invalid(`VLAN ${vlan} is not 0-4094`);
  const v = new Uint8Array(8);
  v.set(parseMac(mac), 0);
  view(v).setUint16(6, vlan, true);
  return v;
}

/** struct flow_key (16 bytes). */
export function decodeFlowKey(b: Uint8Array): FlowKey {
  const v = view(b);
  return {
    src: ipv4Text(b.subarray(0, 4)),
    dst: ipv4Text(b.subarray(4, 8)),
    srcPort: v.getUint16(8, false),
    dstPort: v.getUint16(10, false),
    protocol: b[12]!,
  };
}

/** struct flow_event (32 bytes). */
export function decodeFlowEvent(b: Uint8Array): FlowEvent {
  const v = view(b);
  return {
    flow: decodeFlowKey(b.subarray(0, 16)),
    inIfindex: v.getUint32(16, true),
    outIfindex: v.getUint32(20, true),
    nexthop: ipv4Text(b.subarray(24, 28)),
    vlan: v.getUint32(28, true),
  };
}

/** A flows entry: struct flow_key → struct flow {u64 packets; u64 bytes; u32 ifindex; be32 nexthop}. */
export function decodeFlow(key: Uint8Array, value: Uint8Array): FlowEntry {
  const v = view(value);
  return {
    flow: decodeFlowKey(key),
    packets: v.getBigUint64(0, true),
    bytes: v.getBigUint64(8, true),
    ifindex: v.getUint32(16, true),
    nexthop: ipv4Text(value.subarray(20, 24)),
  };
}
