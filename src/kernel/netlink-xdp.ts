// The XDP side of rtnetlink, as a small codec over an AF_NETLINK socket: which program is
// attached to a device (RTM_GETLINK, nested IFLA_XDP), and the legacy attach/detach by
// program fd (RTM_SETLINK with IFLA_XDP_FD) that predates bpf links and that libxdp still
// uses. Values are those of uapi <linux/rtnetlink.h>, <linux/netlink.h>, <linux/if_link.h>.
// The socket is made in the calling thread's network namespace (see Netns.run).

import { BpfError, TsbpfError } from '../errors.js';
import { check, netLibc } from './libc-net.js';
import { closeFd, pinned } from './syscall.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLA_F_NESTED = 1 << 15;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
/** XDP_ATTACHED_*: none, drv, skb, hw, multi. */
const ATTACHED = ['none', 'native', 'generic', 'offload', 'multi'] as const;

const HDR = 16; // struct nlmsghdr
const IFINFO = 16; // struct ifinfomsg
const align4 = (n: number) => (n + 3) & ~3;

export interface XdpAttachment {
  /** How the program is attached (XDP_ATTACHED_*); 'multi' when native and generic both are. */
  readonly mode: (typeof ATTACHED)[number];
  /** Program ids by mode; `any` is the single one (or the native one under 'multi'). */
  readonly programIds: readonly number[];
}

let seq = 1;

/** One request, answered by one message (an RTM_NEWLINK or an error/ack). */
function exchange(request: Uint8Array, what: string): DataView {
  const libc = netLibc();
  const fd = check('socket(AF_NETLINK)', libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  try {
    check('sendto(netlink)', libc.sendto(fd, request, request.length, 0, null, 0), what);
    const reply = pinned(64 * 1024);
    const addr = new Uint8Array(12);
    const n = check('recvfrom(netlink)', libc.recvfrom(fd, reply, reply.length, 0, addr, [12]), what);
    const v = new DataView(reply.buffer, 0, n);
    if (n < HDR) throw new TsbpfError('BPF_ERROR', `${what}: short netlink reply (${n} bytes)`);
    if (v.getUint16(4, true) === NLMSG_ERROR) {
      const err = v.getInt32(HDR, true);
      if (err < 0) throw new BpfError('netlink', -err, { subject: what });
    }
    return v;
  } finally {
    closeFd(fd);
  }
}

function header(buf: DataView, len: number, type: number, flags: number, ifindex: number): void {
  buf.setUint32(0, len, true);
  buf.setUint16(4, type, true);
  buf.setUint16(6, flags, true);
  buf.setUint32(8, seq++, true);
  buf.setInt32(HDR + 4, ifindex, true); // ifinfomsg.ifi_index; family AF_UNSPEC
}

/** Attributes of one level: type (without flag bits) -> payload view. */
function attributes(v: DataView, from: number, to: number): Map<number, DataView> {
  const out = new Map<number, DataView>();
  for (let at = from; at + 4 <= to; ) {
    const len = v.getUint16(at, true);
    if (len < 4) break;
    out.set(v.getUint16(at + 2, true) & 0x3fff, new DataView(v.buffer, v.byteOffset + at + 4, len - 4));
    at += align4(len);
  }
  return out;
}

/** The XDP program(s) attached to `ifindex`, or undefined when none is. */
export function xdpAttachment(ifindex: number): XdpAttachment | undefined {
  const req = pinned(HDR + IFINFO);
  const v = new DataView(req.buffer);
  header(v, req.length, RTM_GETLINK, NLM_F_REQUEST, ifindex);
  const reply = exchange(req, `RTM_GETLINK ifindex ${ifindex}`);
  if (reply.getUint16(4, true) !== RTM_NEWLINK)
    throw new TsbpfError('BPF_ERROR', `RTM_GETLINK ifindex ${ifindex}: unexpected reply`);
  const len = Math.min(reply.getUint32(0, true), reply.byteLength);
  const xdp = attributes(reply, HDR + IFINFO, len).get(IFLA_XDP);
  if (xdp === undefined) return undefined;
  const a = attributes(xdp, 0, xdp.byteLength);
  const mode = ATTACHED[a.get(IFLA_XDP_ATTACHED)?.getUint8(0) ?? 0] ?? 'none';
  if (mode === 'none') return undefined;
  const ids = [IFLA_XDP_PROG_ID, IFLA_XDP_DRV_PROG_ID, IFLA_XDP_SKB_PROG_ID]
    .map((t) => a.get(t)?.getUint32(0, true))
    .filter((id): id is number => id !== undefined && id !== 0);
  return { mode, programIds: [...new Set(ids)] };
}

/**
 * The legacy attach (no link): RTM_SETLINK with IFLA_XDP_FD = `progFd` and the XDP_FLAGS_* mode
 * bits; `progFd` -1 detaches. The attachment stays until detached or the device goes away.
 */
export function setXdpLegacy(ifindex: number, progFd: number, flags: number): void {
  const nested = 4 + 8 + 8; // IFLA_XDP header + FD attr + FLAGS attr
  const req = pinned(HDR + IFINFO + nested);
  const v = new DataView(req.buffer);
  header(v, req.length, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifindex);
  let at = HDR + IFINFO;
  v.setUint16(at, nested, true);
  v.setUint16(at + 2, IFLA_XDP | NLA_F_NESTED, true);
  v.setUint16(at + 4, 8, true);
  v.setUint16(at + 6, IFLA_XDP_FD, true);
  v.setInt32(at + 8, progFd, true);
  at += 12;
  v.setUint16(at, 8, true);
  v.setUint16(at + 2, IFLA_XDP_FLAGS, true);
  v.setUint32(at + 4, flags, true);
  exchange(req, `RTM_SETLINK XDP ifindex ${ifindex}`);
}
