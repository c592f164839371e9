// Following the kernel's IPv4 routes, neighbours and addresses, as `ip monitor route neigh addr`
// does: a NETLINK_ROUTE socket joined to the multicast groups RTNLGRP_IPV4_ROUTE, RTNLGRP_NEIGH
// and RTNLGRP_IPV4_IFADDR (bits 1 << (group - 1) of sockaddr_nl.nl_groups), then a dump of each
// table (RTM_GETROUTE, RTM_GETNEIGH, RTM_GETADDR with NLM_F_DUMP) so the reader starts from the
// whole state: joining first means
// no change is missed between the dump and the updates. read() never blocks (MSG_DONTWAIT);
// when the socket overflowed (ENOBUFS: changes were lost) the tables are dumped again.
// Only unicast routes of the main table and neighbours with a link-layer address are reported.
// Layouts: struct rtmsg, ndmsg and ifaddrmsg of uapi <linux/rtnetlink.h>, <linux/neighbour.h>,
// <linux/if_addr.h>.

import { Errno } from '../errors.js';
import { macToText } from '../uapi/addresses.js';
import { AF_INET } from '../uapi/socket.js';
import type { TableChange } from '../uapi/table-change.js';
import { FdHandle } from './fd.js';
import { check, lastErrno, netLibc } from './libc-net.js';
import {
  AF_NETLINK,
  attributes,
  bytesOf,
  errorCode,
  HDR,
  messages,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  request,
  routeSocket,
  SOCK_NONBLOCK,
} from './rtnetlink.js';
import { pinned } from './syscall.js';

const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_GETROUTE = 26;
const RTM_NEWNEIGH = 28;
const RTM_DELNEIGH = 29;
const RTM_GETNEIGH = 30;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const RTMGRP_NEIGH = 1 << (3 - 1); // RTNLGRP_NEIGH
const RTMGRP_IPV4_IFADDR = 1 << (5 - 1); // RTNLGRP_IPV4_IFADDR
const RTMGRP_IPV4_ROUTE = 1 << (7 - 1); // RTNLGRP_IPV4_ROUTE
const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
const RTM_F_CLONED = 0x200;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_TABLE = 15;
const NDA_DST = 1;
const NDA_LLADDR = 2;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFADDRMSG = 8;
/** NUD_INCOMPLETE | NUD_FAILED: no usable address. */
const NUD_UNUSABLE = 0x01 | 0x20;
const MSG_DONTWAIT = 0x40;
const RTMSG = 12;
const NDMSG = 12;

const ipv4 = (v: DataView | undefined): string | undefined =>
  v === undefined || v.byteLength !== 4 ? undefined : Array.from(bytesOf(v)).join('.');

function route(m: DataView, action: 'add' | 'delete'): TableChange | undefined {
  if (m.byteLength < HDR + RTMSG || m.getUint8(HDR) !== AF_INET) return undefined;
  const a = attributes(m, HDR + RTMSG);
  const table = a.get(RTA_TABLE)?.getUint32(0, true) ?? m.getUint8(HDR + 4);
  if (table !== RT_TABLE_MAIN || m.getUint8(HDR + 7) !== RTN_UNICAST) return undefined;
  if ((m.getUint32(HDR + 8, true) & RTM_F_CLONED) !== 0) return undefined;
  const via = ipv4(a.get(RTA_GATEWAY));
  const change = {
    kind: 'route' as const,
    action,
    prefix: `${ipv4(a.get(RTA_DST)) ?? '0.0.0.0'}/${m.getUint8(HDR + 1)}`,
    ifindex: a.get(RTA_OIF)?.getUint32(0, true) ?? 0,
  };
  return via === undefined ? change : { ...change, via };
}

function neighbour(m: DataView, deleted: boolean): TableChange | undefined {
  if (m.byteLength < HDR + NDMSG || m.getUint8(HDR) !== AF_INET) return undefined;
  const a = attributes(m, HDR + NDMSG);
  const address = ipv4(a.get(NDA_DST));
  if (address === undefined) return undefined;
  const ifindex = m.getInt32(HDR + 4, true);
  const state = m.getUint16(HDR + 8, true);
  const ll = a.get(NDA_LLADDR);
  if (deleted || (state & NUD_UNUSABLE) !== 0 || ll === undefined || ll.byteLength !== 6)
    return { kind: 'neighbour', action: 'delete', address, ifindex };
  return { kind: 'neighbour', action: 'add', address, ifindex, mac: macToText(bytesOf(ll)) };
}

function address(m: DataView, action: 'add' | 'delete'): TableChange | undefined {
  if (m.byteLength < HDR + IFADDRMSG || m.getUint8(HDR) !== AF_INET) return undefined;
  const a = attributes(m, HDR + IFADDRMSG);
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on a point-to-point link.
  const addr = ipv4(a.get(IFA_LOCAL)) ?? ipv4(a.get(IFA_ADDRESS));
  if (addr === undefined) return undefined;
  return { kind: 'address', action, address: addr, ifindex: m.getUint32(HDR + 4, true) };
}

export class RtnetlinkMonitor extends FdHandle {
  protected readonly what = 'rtnetlink monitor';
  readonly #buf = pinned(256 * 1024);
  /** Dumps still to ask for, in order; one at a time (the kernel refuses a second with EBUSY). */
  #dumps: number[] = [];
  #dumping = false;

  private constructor(fd: number) {
    super(fd);
  }

  /**
   * A monitor of the calling thread's network namespace (open it inside Netns.run for another
   * one): subscribed to route, neighbour and address changes, with the current tables queued first.
   */
  static open(): RtnetlinkMonitor {
    const fd = routeSocket(SOCK_NONBLOCK);
    const m = new RtnetlinkMonitor(fd);
    try {
      const addr = new Uint8Array(12); // struct sockaddr_nl
      const v = new DataView(addr.buffer);
      v.setUint16(0, AF_NETLINK, true);
      v.setUint32(8, RTMGRP_IPV4_ROUTE | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR, true);
      check('bind(netlink)', netLibc().bind(fd, addr, addr.length), 'route, neighbour and address groups');
      m.#dumpAll();
    } catch (e) {
      m.close();
      throw e;
    }
    return m;
  }

  /** Every change received so far, in order; [] when none is waiting. Never blocks. */
  read(): TableChange[] {
    const out: TableChange[] = [];
    const libc = netLibc();
    for (;;) {
      const n = Number(
        libc.recvfrom(this.fd, this.#buf, this.#buf.length, MSG_DONTWAIT, new Uint8Array(12), [12]),
      );
      if (n < 0) {
        const errno = lastErrno();
        if (errno === Errno.EAGAIN) return out;
        if (errno === Errno.ENOBUFS) {
          // The socket overflowed and changes were lost: start again from whole tables.
          this.#dumpAll();
          continue;
        }
        check('recvfrom(netlink)', n);
      }
      for (const { type, view } of messages(new DataView(this.#buf.buffer, 0, n))) {
        let c: TableChange | undefined;
        if (type === RTM_NEWROUTE || type === RTM_DELROUTE)
          c = route(view, type === RTM_NEWROUTE ? 'add' : 'delete');
        else if (type === RTM_NEWNEIGH || type === RTM_DELNEIGH) c = neighbour(view, type === RTM_DELNEIGH);
        else if (type === RTM_NEWADDR || type === RTM_DELADDR)
          c = address(view, type === RTM_NEWADDR ? 'add' : 'delete');
        else if (type === NLMSG_DONE || (type === NLMSG_ERROR && errorCode(view, 0) !== 0)) {
          this.#dumping = false;
          this.#nextDump();
        }
        if (c !== undefined) out.push(c);
      }
    }
  }

  #dumpAll(): void {
    this.#dumps = [RTM_GETROUTE, RTM_GETNEIGH, RTM_GETADDR];
    this.#dumping = false;
    this.#nextDump();
  }

  #nextDump(): void {
    if (this.#dumping) return;
    const type = this.#dumps.shift();
    if (type === undefined) return;
    const family = new Uint8Array(type === RTM_GETROUTE ? RTMSG : type === RTM_GETNEIGH ? NDMSG : IFADDRMSG);
    family[0] = AF_INET;
    const req = request(type, NLM_F_REQUEST | NLM_F_DUMP, family);
    check('sendto(netlink)', netLibc().sendto(this.fd, req, req.length, 0, null, 0), 'table dump');
    this.#dumping = true;
  }
}
