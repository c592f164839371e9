// A raw AF_PACKET socket bound to one device: sends whole Ethernet frames out of it and captures
// the frames it receives (not the ones it sends: PACKET_OUTGOING is skipped). The way tests put
// real traffic on a veth and read what comes back. Layouts from <linux/if_packet.h>.

import { TsbpfError } from '../errors.js';
import { FdHandle } from './fd.js';
import { check, lastErrno, netLibc } from './libc-net.js';
import { pinned, pinnedCopy } from './syscall.js';

const AF_PACKET = 17;
const SOCK_RAW = 3;
/** ETH_P_ALL in network byte order, as socket() and sockaddr_ll want it. */
const ETH_P_ALL_BE = 0x0300;
/** struct sockaddr_ll { u16 family, protocol; i32 ifindex; u16 hatype; u8 pkttype, halen; u8 addr[8]; } */
const SockaddrLl = { family: 0, protocol: 2, ifindex: 4, pkttype: 10, size: 20 } as const;
const PACKET_OUTGOING = 4;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EAGAIN = 11;
const EINTR = 4;
const MAX_FRAME = 65536;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const RCVBUF = 32 << 20;

/** Waits up to `timeoutMs` for `fd` to be readable (poll(2)); true when it is. */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  const pfd = pinned(8);
  const v = new DataView(pfd.buffer);
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN, true);
  const r = netLibc().poll(pfd, 1, Math.max(0, Math.floor(timeoutMs)));
  if (r < 0 && lastErrno() === EINTR) return false;
  check('poll', r);
  return (v.getInt16(6, true) & POLLIN) !== 0;
}

const OPEN = Symbol('PacketSocket.open');

export class PacketSocket extends FdHandle {
  readonly ifindex: number;
  protected readonly what: string;
  readonly #buf = pinned(MAX_FRAME);
  readonly #from = pinned(SockaddrLl.size);

  private constructor(token: symbol, fd: number, ifindex: number) {
    // `private` holds only in TypeScript: from JavaScript, refuse anything but open().
    if (token !== OPEN)
      throw new TsbpfError('INVALID_ARGUMENT', 'PacketSocket is made by PacketSocket.open(ifindex)');
    super(fd);
    this.ifindex = ifindex;
    this.what = `packet socket on ifindex ${ifindex}`;
  }

  /** A raw socket on device `ifindex` of the calling thread's network namespace. */
  static open(ifindex: number): PacketSocket {
    if (!Number.isInteger(ifindex) || ifindex <= 0)
      throw new TsbpfError('INVALID_ARGUMENT', `ifindex ${ifindex} is not positive`);
    const libc = netLibc();
    const fd = check('socket(AF_PACKET)', libc.socket(AF_PACKET, SOCK_RAW, ETH_P_ALL_BE));
    const sock = new PacketSocket(OPEN, fd, ifindex);
    try {
      const sa = pinned(SockaddrLl.size);
      const v = new DataView(sa.buffer);
      v.setUint16(SockaddrLl.family, AF_PACKET, true);
      v.setUint16(SockaddrLl.protocol, ETH_P_ALL_BE, true);
      v.setInt32(SockaddrLl.ifindex, ifindex, true);
      check('bind(AF_PACKET)', libc.bind(fd, sa, SockaddrLl.size));
      // A capture must hold a whole run's frames: ask for a big receive buffer (root may exceed
      // rmem_max with SO_RCVBUFFORCE); a refusal leaves the default, not an error.
      const size = pinned(4);
      new DataView(size.buffer).setInt32(0, RCVBUF, true);
      if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) < 0)
        libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
    } catch (e) {
      sock.close();
      throw e;
    }
    return sock;
  }

  /** Sends one Ethernet frame (destination MAC first) out of the device. */
  send(frame: Uint8Array): void {
    if (frame.length < 14 || frame.length > MAX_FRAME)
      throw new TsbpfError('INVALID_ARGUMENT', `frame of ${frame.length} bytes is not an Ethernet frame`);
    const copy = pinnedCopy(frame);
    const n = check('sendto(AF_PACKET)', netLibc().sendto(this.fd, copy, copy.length, 0, null, 0));
    if (n !== frame.length) throw new TsbpfError('BPF_ERROR', `sent ${n} of ${frame.length} bytes`);
  }

  /**
   * Frames received (not sent) on the device, in arrival order: waits until `count` have come or
   * `timeoutMs` passed without one more arriving, whichever is first.
   */
  receive(count: number, timeoutMs: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const libc = netLibc();
    while (out.length < count) {
      const len = [SockaddrLl.size];
      const n = Number(libc.recvfrom(this.fd, this.#buf, MAX_FRAME, MSG_DONTWAIT, this.#from, len));
      if (n < 0) {
        const errno = lastErrno();
        if (errno !== EAGAIN && errno !== EINTR) check('recvfrom(AF_PACKET)', n);
        if (!waitReadable(this.fd, timeoutMs)) break;
        continue;
      }
      if (this.#from[SockaddrLl.pkttype] === PACKET_OUTGOING) continue;
      out.push(this.#buf.slice(0, n));
    }
    return out;
  }
}
