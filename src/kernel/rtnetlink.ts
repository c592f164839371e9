// A small rtnetlink codec over AF_NETLINK/NETLINK_ROUTE sockets: building a request (nlmsghdr, a
// family header, attributes), one request answered by one message, and walking the messages of
// a datagram and the attributes of a message. Used for XDP attach state (netlink-xdp.ts), device
// lookup (net-device.ts) and the route/neighbour monitor (rtnetlink-monitor.ts). Values are
// those of uapi <linux/netlink.h> and <linux/rtnetlink.h>. Sockets belong to the network
// namespace of the calling thread (see Netns.run).

import { BpfError, TsbpfError } from '../errors.js';
import { check, netLibc } from './libc-net.js';
import { closeFd, pinned } from './syscall.js';

export const AF_NETLINK = 16;
const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
const NETLINK_ROUTE = 0;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 1;
export const NLM_F_ACK = 4;
/** NLM_F_ROOT | NLM_F_MATCH: the whole table. */
export const NLM_F_DUMP = 0x300;
export const NLA_F_NESTED = 1 << 15;

/** struct nlmsghdr. */
export const HDR = 16;
export const align4 = (n: number): number => (n + 3) & ~3;

let seq = 1;

/** A NETLINK_ROUTE socket in the calling thread's namespace. */
export function routeSocket(flags = 0): number {
  return check(
    'socket(AF_NETLINK)',
    netLibc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE),
  );
}

/**
 * A request: nlmsghdr, then `family` (the family header's bytes), then the attributes, each
 * padded to 4. Returns the bytes, ready for sendto.
 */
export function request(
  type: number,
  flags: number,
  family: Uint8Array,
  attrs: readonly { readonly type: number; readonly payload: Uint8Array }[] = [],
): Uint8Array {
  const len = HDR + align4(family.length) + attrs.reduce((n, a) => n + align4(4 + a.payload.length), 0);
  const out = pinned(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq++, true);
  out.set(family, HDR);
  let at = HDR + align4(family.length);
  for (const a of attrs) {
    v.setUint16(at, 4 + a.payload.length, true);
    v.setUint16(at + 2, a.type, true);
    out.set(a.payload, at + 4);
    at += align4(4 + a.payload.length);
  }
  return out;
}

/** The error code of an NLMSG_ERROR message at `at` (0 is an ack). */
export const errorCode = (v: DataView, at: number): number => v.getInt32(at + HDR, true);

/** uapi <linux/netlink.h>: socket options and the extended-ack layout of an NLMSG_ERROR. */
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

/**
 * A NETLINK_ROUTE socket for requests: errors come with the kernel's extended-ack text (e.g.
 * "XDP program already attached") and without a copy of the request (NETLINK_CAP_ACK).
 */
export function requestSocket(): number {
  const fd = routeSocket();
  const one = new Uint8Array([1, 0, 0, 0]);
  const libc = netLibc();
  // Both options are best effort: a kernel without them (before 4.12) still answers.
  libc.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
  libc.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
  return fd;
}

/** The extended-ack message of the NLMSG_ERROR `v`, if the kernel gave one. */
function extackText(v: DataView): string | undefined {
  const flags = v.getUint16(6, true);
  if ((flags & NLM_F_ACK_TLVS) === 0) return undefined;
  const request = HDR + 4; // the request's nlmsghdr, then its payload unless capped
  if (request + HDR > v.byteLength) return undefined;
  const from = request + ((flags & NLM_F_CAPPED) !== 0 ? HDR : align4(v.getUint32(request, true)));
  const msg = attributes(v, from, Math.min(v.getUint32(0, true), v.byteLength)).get(NLMSGERR_ATTR_MSG);
  return msg === undefined ? undefined : new TextDecoder().decode(bytesOf(msg)).replace(/\0.*$/s, '');
}

/**
 * One request, answered by one message (e.g. an RTM_NEWLINK, or an error/ack), on `socket` (kept
 * by the caller, e.g. to stay in a namespace) or on a socket of the calling thread's namespace
 * made for it. Replies to other requests (a late answer on a kept socket) are skipped.
 */
export function exchange(req: Uint8Array, what: string, socket?: number): DataView {
  const want = sequence(req);
  for (const v of datagrams(req, what, socket)) {
    if (v.byteLength < HDR)
      throw new TsbpfError('BPF_ERROR', `${what}: short netlink reply (${v.byteLength} bytes)`);
    if (v.getUint32(8, true) !== want) continue;
    if (v.getUint16(4, true) === NLMSG_ERROR) {
      const err = errorCode(v, 0);
      if (err < 0) {
        const reason = extackText(v);
        throw new BpfError('netlink', -err, { subject: what, ...(reason === undefined ? {} : { reason }) });
      }
    }
    return v;
  }
  throw new TsbpfError('BPF_ERROR', `${what}: no netlink reply`); // datagrams() never ends
}

const sequence = (req: Uint8Array): number => new DataView(req.buffer, req.byteOffset).getUint32(8, true);

/**
 * Sends `req` on `socket` (or on a socket of the calling thread's namespace made for it, closed
 * when the caller stops) and yields each datagram received after, in the one receive buffer.
 */
function* datagrams(req: Uint8Array, what: string, socket?: number): Generator<DataView, never> {
  const libc = netLibc();
  const fd = socket ?? requestSocket();
  try {
    check('sendto(netlink)', libc.sendto(fd, req, req.length, 0, null, 0), what);
    const reply = pinned(64 * 1024);
    for (;;) {
      const addr = new Uint8Array(12);
      const n = check('recvfrom(netlink)', libc.recvfrom(fd, reply, reply.length, 0, addr, [12]), what);
      yield new DataView(reply.buffer, 0, n);
    }
  } finally {
    if (socket === undefined) closeFd(fd);
  }
}

/** A message of a datagram: its type and a view of the whole message (header included). */
export interface NetlinkMessage {
  readonly type: number;
  readonly view: DataView;
}

/** The messages of one received datagram, in order; a truncated tail is dropped. */
export function messages(v: DataView): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  for (let at = 0; at + HDR <= v.byteLength; ) {
    const len = v.getUint32(at, true);
    if (len < HDR || at + len > v.byteLength) break;
    out.push({ type: v.getUint16(at + 4, true), view: new DataView(v.buffer, v.byteOffset + at, len) });
    at += align4(len);
  }
  return out;
}

/** Attributes of one level: type (without flag bits) -> payload view. */
export function attributes(v: DataView, from: number, to: number = v.byteLength): Map<number, DataView> {
  const out = new Map<number, DataView>();
  for (let at = from; at + 4 <= to; ) {
    const len = v.getUint16(at, true);
    if (len < 4) break;
    out.set(v.getUint16(at + 2, true) & 0x3fff, new DataView(v.buffer, v.byteOffset + at + 4, len - 4));
    at += align4(len);
  }
  return out;
}

export const bytesOf = (v: DataView): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/**
 * A dump request (NLM_F_DUMP) answered by any number of messages until NLMSG_DONE: returns the
 * messages (copied out of the receive buffer), on `socket` or on one made for it.
 */
export function dump(req: Uint8Array, what: string, socket?: number): NetlinkMessage[] {
  const want = sequence(req);
  const out: NetlinkMessage[] = [];
  for (const v of datagrams(req, what, socket)) {
    for (const m of messages(v)) {
      if (m.view.getUint32(8, true) !== want) continue;
      if (m.type === NLMSG_DONE) return out;
      if (m.type === NLMSG_ERROR) {
        const err = errorCode(m.view, 0);
        if (err < 0) throw new BpfError('netlink', -err, { subject: what });
        continue;
      }
      const copy = bytesOf(m.view).slice();
      out.push({ type: m.type, view: new DataView(copy.buffer) });
    }
  }
  throw new TsbpfError('BPF_ERROR', `${what}: no end of the netlink dump`); // datagrams() never ends
}
