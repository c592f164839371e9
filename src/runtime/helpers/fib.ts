// bpf_fib_lookup (69) against the embedder's routing table (HelperEnv.fib, a load option): the
// longest matching prefix, its type, the egress MTU, the gateway and the neighbour entry decide
// the BPF_FIB_LKUP_RET_* code and the fields written back, as bpf_ipv4_fib_lookup /
// bpf_ipv6_fib_lookup in net/core/filter.c do. Without a table only the loopback device (1)
// exists, with forwarding off, as in a fresh network namespace: lookups give FWD_DISABLED.
//
//   struct bpf_fib_lookup (64 bytes): family 0, l4_protocol 1, sport 2, dport 4,
//   tot_len|mtu_result 6, ifindex 8, tos|flowinfo|rt_metric 12, src 16, dst 32, vlan 48,
//   smac 52, dmac 58

import { NotSupportedError, RuntimeFault, TsbpfError } from '../../errors.js';
import { ipv4FromText, macFromText } from '../../uapi/addresses.js';
import { Errno } from '../../uapi/errno.js';
import { AF_INET, AF_INET6 } from '../../uapi/socket.js';
import type { FibDevice, FibRoute, FibTable, RuntimeEnv } from '../helper.js';
import { type HelperImpl, neg, s32, u32 } from './types.js';

/** enum bpf_fib_lookup return codes (uapi <linux/bpf.h>). */
export const BPF_FIB_LKUP_RET = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
} as const;
/** BPF_FIB_LOOKUP_* flags. */
const BPF_FIB_LOOKUP_DIRECT = 1;
const BPF_FIB_LOOKUP_OUTPUT = 2;
const BPF_FIB_LOOKUP_SKIP_NEIGH = 4;
const BPF_FIB_LOOKUP_TBID = 8;
const BPF_FIB_LOOKUP_SRC = 16;
const BPF_FIB_LOOKUP_MARK = 32;
const KNOWN_FLAGS =
  BPF_FIB_LOOKUP_DIRECT |
  BPF_FIB_LOOKUP_OUTPUT |
  BPF_FIB_LOOKUP_SKIP_NEIGH |
  BPF_FIB_LOOKUP_TBID |
  BPF_FIB_LOOKUP_SRC |
  BPF_FIB_LOOKUP_MARK;
/** EAFNOSUPPORT (include/uapi/asm-generic/errno.h). */
const EAFNOSUPPORT = 97;
const PARAMS_SIZE = 64;
const DEFAULT_MTU = 1500;

/** A fresh network namespace: loopback only, forwarding off. */
const NO_TABLE: FibTable = {
  devices: [{ ifindex: 1, forwarding: false, mtu: 65536 }],
  routes: [],
  neighbours: [],
};

function bad(what: string): never {
  throw new TsbpfError('INVALID_ARGUMENT', `fib table: ${what}`);
}

/** An IPv4 ('192.0.2.1') or IPv6 ('2001:db8::1') address as bytes. */
export function parseAddress(text: string): Uint8Array {
  if (text.includes(':')) {
    const halves = text.split('::');
    if (halves.length > 2) bad(`bad IPv6 address '${text}'`);
    const groups = (s: string) => (s === '' ? [] : s.split(':'));
    const head = groups(halves[0]!);
    const tail = halves.length === 2 ? groups(halves[1]!) : [];
    const fill = 8 - head.length - tail.length;
    if ((halves.length === 1 && fill !== 0) || fill < 0) bad(`bad IPv6 address '${text}'`);
    const all = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
    const out = new Uint8Array(16);
    all.forEach((g, k) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) bad(`bad IPv6 address '${text}'`);
      const v = Number.parseInt(g, 16);
      out[2 * k] = v >> 8;
      out[2 * k + 1] = v & 0xff;
    });
    return out;
  }
  return ipv4FromText(text) ?? bad(`bad IPv4 address '${text}'`);
}

function parseMac(text: string | undefined): Uint8Array {
  if (text === undefined) return new Uint8Array(6);
  return macFromText(text) ?? bad(`bad MAC address '${text}'`);
}

function parsePrefix(text: string): { addr: Uint8Array; len: number } {
  const [a, l] = text.split('/');
  const addr = parseAddress(a!);
  const len = l === undefined ? addr.length * 8 : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > addr.length * 8) bad(`bad prefix '${text}'`);
  return { addr, len };
}

function matches(prefix: { addr: Uint8Array; len: number }, addr: Uint8Array): boolean {
  if (prefix.addr.length !== addr.length) return false;
  for (let bit = 0; bit < prefix.len; bit += 8) {
    const n = Math.min(8, prefix.len - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((prefix.addr[bit / 8]! & mask) !== (addr[bit / 8]! & mask)) return false;
  }
  return true;
}

/** The route for `dst`: longest prefix, then lowest metric, then first listed. */
function route(table: FibTable, dst: Uint8Array): FibRoute | undefined {
  let best: FibRoute | undefined;
  let bestLen = -1;
  for (const r of table.routes) {
    const p = parsePrefix(r.prefix);
    if (!matches(p, dst)) continue;
    if (p.len > bestLen || (p.len === bestLen && (r.metric ?? 0) < (best?.metric ?? 0))) {
      best = r;
      bestLen = p.len;
    }
  }
  return best;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, k) => x === b[k]);

function lookup(env: RuntimeEnv, p: number, flags: number, xdp: boolean): number {
  const table = env.fib ?? NO_TABLE;
  const v = env.memory.view;
  const u8 = env.memory.u8;
  const family = u8[p]!;
  if (family !== AF_INET && family !== AF_INET6) return -EAFNOSUPPORT;
  if (flags & BPF_FIB_LOOKUP_SRC) throw new NotSupportedError('bpf_fib_lookup with BPF_FIB_LOOKUP_SRC');
  const v6 = family === AF_INET6;
  const device = (ifindex: number): FibDevice | undefined => table.devices.find((d) => d.ifindex === ifindex);
  const dev = device(v.getUint32(p + 8, true));
  if (dev === undefined) return -Errno.ENODEV;
  if (dev.forwarding === false) return BPF_FIB_LKUP_RET.FWD_DISABLED;
  const dstAt = p + 32;
  const dst = u8.slice(dstAt, dstAt + (v6 ? 16 : 4));
  const r = route(table, dst);
  // fib_lookup() errors by route type, as the kernel maps them to return codes.
  if (r === undefined) return BPF_FIB_LKUP_RET.NOT_FWDED;
  switch (r.type ?? 'unicast') {
    case 'blackhole':
      return BPF_FIB_LKUP_RET.BLACKHOLE;
    case 'unreachable':
      return BPF_FIB_LKUP_RET.UNREACHABLE;
    case 'prohibit':
      return BPF_FIB_LKUP_RET.PROHIBIT;
    case 'local':
      return BPF_FIB_LKUP_RET.NOT_FWDED;
    default:
      break;
  }
  const out = device(r.ifindex);
  if (out === undefined)
    throw new RuntimeFault(`fib table: route ${r.prefix} names no device ${r.ifindex}`, env.pc);
  const mtu = r.mtu ?? out.mtu ?? DEFAULT_MTU;
  // XDP checks tot_len against the MTU; skb programs do when they give a tot_len.
  const totLen = v.getUint16(p + 6, true);
  if ((xdp || totLen !== 0) && totLen > mtu) {
    v.setUint16(p + 6, Math.min(mtu, 0xffff), true);
    return BPF_FIB_LKUP_RET.FRAG_NEEDED;
  }
  v.setUint32(p + 12, (r.metric ?? 0) >>> 0, true);
  v.setUint32(p + 8, r.ifindex, true);
  if (r.gateway !== undefined) {
    const gw = parseAddress(r.gateway);
    if (gw.length !== dst.length) bad(`route ${r.prefix}: gateway ${r.gateway} of another family`);
    u8.set(gw, dstAt);
  }
  const setMtu = () => v.setUint16(p + 6, Math.min(mtu, 0xffff), true);
  if (flags & BPF_FIB_LOOKUP_SKIP_NEIGH) {
    setMtu();
    return BPF_FIB_LKUP_RET.SUCCESS;
  }
  const next = u8.slice(dstAt, dstAt + dst.length);
  const neigh = table.neighbours.find(
    (n) => n.ifindex === r.ifindex && sameBytes(parseAddress(n.address), next),
  );
  if (neigh === undefined) return BPF_FIB_LKUP_RET.NO_NEIGH;
  u8.set(parseMac(neigh.mac), p + 58);
  u8.set(parseMac(out.mac), p + 52);
  setMtu();
  return BPF_FIB_LKUP_RET.SUCCESS;
}

export const fibHelpers: readonly HelperImpl[] = [
  {
    id: 69, // bpf_fib_lookup(ctx, params, plen, flags)
    fn: (env, r1, r2, r3, r4) => {
      const kind = env.ctx.kind;
      if (BigInt(env.ctx.struct.start) !== r1)
        throw new RuntimeFault('bpf_fib_lookup: r1 is not the context pointer', env.pc);
      const plen = s32(r3);
      if (plen < PARAMS_SIZE) return neg(Errno.EINVAL);
      const flags = u32(r4);
      if (flags & ~KNOWN_FLAGS) return neg(Errno.EINVAL);
      env.memory.check(r2, PARAMS_SIZE, 'write', env.pc);
      const rc = lookup(env, Number(r2), flags, kind === 'xdp_md');
      return rc < 0 ? neg(-rc) : BigInt(rc);
    },
  },
];
