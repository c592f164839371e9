// The XDP side of rtnetlink (codec in rtnetlink.ts): which program is
// attached to a device (RTM_GETLINK, nested IFLA_XDP), and the legacy attach/detach by
// program fd (RTM_SETLINK with IFLA_XDP_FD) that predates bpf links and that libxdp still
// uses. Values are those of uapi <linux/rtnetlink.h>, <linux/netlink.h>, <linux/if_link.h>.
// The socket is the caller's (kept in the device's namespace) or one made in the calling
// thread's network namespace (see Netns.run).

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
const IFLA_XDP_EXPECTED_FD = 8;
/** XDP_ATTACHED_*: none, drv, skb, hw, multi. */
const ATTACHED = ['none', 'native', 'generic', 'offload', 'multi'] as const;

export const IFINFO = 16; // struct ifinfomsg

/**
 * include/uapi/linux/if_link.h XDP_FLAGS_*: the mode bits (one at most; none lets the kernel
 * pick native where the driver has it), and for the netlink attach the two guards: attach only
 * where no program is (else EBUSY), replace only the expected program (else EEXIST; kernel 5.7+).
 */
export const XdpFlags = {
  updateIfNoexist: 1 << 0,
  skbMode: 1 << 1,
  drvMode: 1 << 2,
  replace: 1 << 4,
} as const;

/** What is attached to a device, as IFLA_XDP reports it. */
export interface XdpAttached {
  /** How the program is attached (XDP_ATTACHED_*); 'multi' when native and generic both are. */
  readonly mode: (typeof ATTACHED)[number];
  /** The ids of every program attached (two under 'multi'). */
  readonly programIds: readonly number[];
  /** The program of each mode, 0 where none is. */
  readonly native: number;
  readonly generic: number;
}

/** struct ifinfomsg for `ifindex`, family AF_UNSPEC. */
export function ifinfo(ifindex: number): Uint8Array {
  const b = new Uint8Array(IFINFO);
  new DataView(b.buffer).setInt32(4, ifindex, true);
  return b;
}

/** The XDP program(s) attached to `ifindex`, or undefined when none is. */
export function xdpAttached(ifindex: number, socket?: number): XdpAttached | undefined {
  const reply = exchange(
    request(RTM_GETLINK, NLM_F_REQUEST, ifinfo(ifindex)),
    `RTM_GETLINK ifindex ${ifindex}`,
    socket,
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
  const byMode = (t: number) => a.get(t)?.getUint32(0, true) ?? 0;
  // One program: IFLA_XDP_PROG_ID names it, the per-mode ids are only sent under 'multi'.
  const single = byMode(IFLA_XDP_PROG_ID);
  return {
    mode,
    programIds: [...new Set(ids)],
    native: mode === 'native' ? single : byMode(IFLA_XDP_DRV_PROG_ID),
    generic: mode === 'generic' ? single : byMode(IFLA_XDP_SKB_PROG_ID),
  };
}

/**
 * The legacy attach (no link): RTM_SETLINK with IFLA_XDP_FD = `progFd` and the XDP_FLAGS_*
 * `flags`; `progFd` -1 detaches. With XDP_FLAGS_REPLACE the kernel acts only if the device
 * runs the program of `expectedFd` (IFLA_XDP_EXPECTED_FD), else EEXIST. The attachment stays
 * until detached or the device goes away: no fd holds it.
 */
export function setXdpLegacy(
  ifindex: number,
  progFd: number,
  flags: number,
  options: { readonly expectedFd?: number; readonly socket?: number } = {},
): void {
  const { expectedFd, socket } = options;
  if (((flags & XdpFlags.replace) !== 0) !== (expectedFd !== undefined))
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      'XDP_FLAGS_REPLACE goes with an expected program fd, and only so',
    );
  const nested = new Uint8Array(expectedFd === undefined ? 16 : 24); // FD, FLAGS, EXPECTED_FD
  const v = new DataView(nested.buffer);
  const s32 = (at: number, type: number, value: number) => {
    v.setUint16(at, 8, true);
    v.setUint16(at + 2, type, true);
    v.setInt32(at + 4, value, true);
  };
  s32(0, IFLA_XDP_FD, progFd);
  s32(8, IFLA_XDP_FLAGS, flags);
  if (expectedFd !== undefined) s32(16, IFLA_XDP_EXPECTED_FD, expectedFd);
  const req = request(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfo(ifindex), [
    { type: IFLA_XDP | NLA_F_NESTED, payload: nested },
  ]);
  exchange(req, `RTM_SETLINK XDP ifindex ${ifindex}`, socket);
}
