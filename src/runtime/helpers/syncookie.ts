// SYN-cookie helpers for XDP and TC (a SYN proxy answers a SYN without state):
// bpf_tcp_raw_gen_syncookie_ipv4 (204) / _ipv6 (205) return cookie | mss << 32 for a SYN's
// headers; bpf_tcp_raw_check_syncookie_ipv4 (206) / _ipv6 (207) return 0 when the ACK's
// ack_seq - 1 is a valid cookie for its flow, -EACCES otherwise. The cookie layout, MSS tables,
// the two-minute validity and the hash inputs are the kernel's (net/core/filter.c,
// net/ipv4/syncookies.c, net/ipv6/syncookies.c, tcp_parse_mss_option); the secret is not: the
// kernel draws syncookie_secret at random once per boot and never exports it, so a cookie made
// by one backend cannot be checked by the other. The VM's secret is the load option
// `syncookieSecret` (64 bytes: the IPv4 keys for c = 0, 1, then IPv6's), by default derived from
// the collection's seed so that runs repeat.
//
//   cookie = H(flow, 0, c=0) + seq + (count << 24) + ((H(flow, count, c=1) + mss index) & 0xffffff)
//   count  = jiffies_64 / (60 * HZ) (a minute counter); valid while the count is 0 or 1 behind.

import { Errno } from '../../uapi/errno.js';
import type { RuntimeEnv } from '../helper.js';
import { siphash24 } from './siphash.js';
import { type HelperImpl, neg, u32 } from './types.js';

const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
const MAX_SYNCOOKIE_AGE = 2;
const MSSTAB_V4 = [536, 1300, 1440, 1460];
const MSSTAB_V6 = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];
const TCP_MSS_DEFAULT = 536;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const TCP_HLEN = 20;
/** jiffies at HZ=250 (Debian's default), from INITIAL_JIFFIES (-300 s wrapped to 32 bits) at boot. */
const HZ = 250n;
const INITIAL_JIFFIES = (1n << 32n) - 300n * HZ;

/** tcp_cookie_time(): the minute counter, from the collection's monotonic clock. */
function cookieTime(env: RuntimeEnv): number {
  const jiffies = INITIAL_JIFFIES + (env.clock.ns('monotonic') * HZ) / 1_000_000_000n;
  return Number((jiffies / (60n * HZ)) & 0xffffffffn);
}

/** tcp_parse_mss_option(th, 0): the MSS option of a TCP header `th` of doff*4 bytes, or 0. */
function parseMss(th: Uint8Array): number {
  let mss = 0;
  let p = TCP_HLEN;
  let length = th.length - TCP_HLEN;
  while (length > 0) {
    const kind = th[p++]!;
    if (kind === 0) return mss;
    if (kind === 1) {
      length--;
      continue;
    }
    if (length < 2) return mss;
    const size = th[p++]!;
    if (size < 2 || size > length) return mss;
    if (kind === 2 && size === 4) {
      const m = (th[p]! << 8) | th[p + 1]!;
      if (m !== 0) mss = m;
    }
    p += size - 2;
    length -= size;
  }
  return mss;
}

interface Flow {
  readonly v6: boolean;
  readonly saddr: Uint8Array;
  readonly daddr: Uint8Array;
  /** The raw (big-endian) port fields, as the kernel's __be16 values. */
  readonly sport: Uint8Array;
  readonly dport: Uint8Array;
}

/** cookie_hash(): siphash of the flow and `count` under secret `c` (IPv4: siphash_4u32 layout). */
function cookieHash(env: RuntimeEnv, f: Flow, count: number, c: 0 | 1): number {
  const secret = env.syncookieSecret.subarray((f.v6 ? 32 : 0) + 16 * c, (f.v6 ? 32 : 0) + 16 * (c + 1));
  let data: Uint8Array;
  if (!f.v6) {
    // u32 saddr, u32 daddr, (sport << 16 | dport) as host-order u32 of the __be16 values, count.
    data = new Uint8Array(16);
    const v = new DataView(data.buffer);
    data.set(f.saddr, 0);
    data.set(f.daddr, 4);
    const sport = f.sport[0]! | (f.sport[1]! << 8);
    const dport = f.dport[0]! | (f.dport[1]! << 8);
    v.setUint32(8, ((sport << 16) | dport) >>> 0, true);
    v.setUint32(12, count >>> 0, true);
  } else {
    // struct { in6_addr saddr, daddr; u32 count; __be16 sport, dport; }: 40 bytes hashed.
    data = new Uint8Array(40);
    data.set(f.saddr, 0);
    data.set(f.daddr, 16);
    new DataView(data.buffer).setUint32(32, count >>> 0, true);
    data.set(f.sport, 36);
    data.set(f.dport, 38);
  }
  return Number(siphash24(data, secret) & 0xffffffffn);
}

function flowOf(env: RuntimeEnv, iph: bigint, th: Uint8Array, v6: boolean): Flow {
  const ip = env.memory.bytes(iph, v6 ? IPV6_HLEN : IPV4_HLEN);
  const saddr = v6 ? ip.slice(8, 24) : ip.slice(12, 16);
  const daddr = v6 ? ip.slice(24, 40) : ip.slice(16, 20);
  return { v6, saddr, daddr, sport: th.slice(0, 2), dport: th.slice(2, 4) };
}

const be32At = (b: Uint8Array, o: number) =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function generate(env: RuntimeEnv, iph: bigint, thAddr: bigint, thLen: number, v6: boolean): bigint {
  if (thLen < TCP_HLEN) return neg(Errno.EINVAL);
  const th = env.memory.bytes(thAddr, thLen);
  if (thLen !== (th[12]! >> 4) * 4) return neg(Errno.EINVAL);
  const table = v6 ? MSSTAB_V6 : MSSTAB_V4;
  const wanted = parseMss(th) || TCP_MSS_DEFAULT;
  let index = table.length - 1;
  while (index > 0 && wanted < table[index]!) index--;
  const f = flowOf(env, iph, th, v6);
  const count = cookieTime(env);
  const cookie =
    (cookieHash(env, f, 0, 0) +
      be32At(th, 4) +
      ((count << COOKIEBITS) >>> 0) +
      ((cookieHash(env, f, count, 1) + index) & COOKIEMASK)) >>>
    0;
  return BigInt(cookie) | (BigInt(table[index]!) << 32n);
}

function check(env: RuntimeEnv, iph: bigint, thAddr: bigint, v6: boolean): bigint {
  const th = env.memory.bytes(thAddr, TCP_HLEN);
  const f = flowOf(env, iph, th, v6);
  const seq = (be32At(th, 4) - 1) >>> 0;
  let cookie = (be32At(th, 8) - 1) >>> 0;
  const count = cookieTime(env);
  cookie = (cookie - cookieHash(env, f, 0, 0) - seq) >>> 0;
  const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return neg(Errno.EACCES);
  const index = ((cookie - cookieHash(env, f, (count - diff) >>> 0, 1)) >>> 0) & COOKIEMASK;
  return index < (v6 ? MSSTAB_V6 : MSSTAB_V4).length ? 0n : neg(Errno.EACCES);
}

export const syncookieHelpers: readonly HelperImpl[] = [
  { id: 204, fn: (env, r1, r2, r3) => generate(env, r1, r2, u32(r3), false) },
  { id: 205, fn: (env, r1, r2, r3) => generate(env, r1, r2, u32(r3), true) },
  { id: 206, fn: (env, r1, r2) => check(env, r1, r2, false) },
  { id: 207, fn: (env, r1, r2) => check(env, r1, r2, true) },
];
