// The XDP side of rtnetlink (codec in rtnetlink.ts): which program is
// attached to a device (RTM_GETLINK, nested IFLA_XDP), and the legacy attach/detach by
// program fd (RTM_SETLINK with IFLA_XDP_FD) that predates bpf links and that libxdp still
// uses. Values are those of uapi <linux/rtnetlink.h>, <linux/netlink.h>, <linux/if_link.h>.
// The socket is made in the calling thread's network namespace (see Netns.run).

import { TsbpfError } from '../errors.js';
import { attributes, exchange, HDR, NLA_F_NESTED, NLM_F_ACK, NLM_F_REQUEST, request } from './rtnetlink.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
/** XDP_ATTACHED_*: none, drv, skb, hw, multi. */
const ATTACHED = ['none', 'native', 'generic', 'offload', 'multi'] as const;

export const IFINFO = 16; // struct ifinfomsg

export interface XdpAttachment {
  /** How the program is attached (XDP_ATTACHED_*); 'multi' when native and generic both are. */
  readonly mode: (typeof ATTACHED)[number];
  /** Program ids by mode; `any` is the single one (or the native one under 'multi'). */
  readonly programIds: readonly number[];
}

/** struct ifinfomsg for `ifindex`, family AF_UNSPEC. */
export function ifinfo(ifindex: number): Uint8Array {
  const b = new Uint8Array(IFINFO);
  new DataView(b.buffer).setInt32(4, ifindex, true);
  return b;
}

/** The XDP program(s) attached to `ifindex`, or undefined when none is. */
export function xdpAttachment(ifindex: number): XdpAttachment | undefined {
  const reply = exchange(
    request(RTM_GETLINK, NLM_F_REQUEST, ifinfo(ifindex)),
    `RTM_GETLINK ifindex ${ifindex}`,
  );
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
  const nested = new Uint8Array(16); // IFLA_XDP_FD and IFLA_XDP_FLAGS attributes
  const v = new DataView(nested.buffer);
  v.setUint16(0, 8, true);
  v.setUint16(2, IFLA_XDP_FD, true);
  v.setInt32(4, progFd, true);
  v.setUint16(8, 8, true);
  v.setUint16(10, IFLA_XDP_FLAGS, true);
  v.setUint32(12, flags, true);
  const req = request(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfo(ifindex), [
    { type: IFLA_XDP | NLA_F_NESTED, payload: nested },
  ]);
  exchange(req, `RTM_SETLINK XDP ifindex ${ifindex}`);
}
