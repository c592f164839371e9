// A simulated network device: name, ifindex, MAC, MTU and RX queues, the hooks programs attach
// to (XDP, TC ingress, TC egress), the frames waiting on each RX queue, and its counters. A veth
// has a peer: what one end transmits the other receives. A device without a peer has a wire:
// what it transmits is kept in `wire` (the --out-pcap of the CLI). What the stack received
// (XDP_PASS, no XDP program, TC ingress passed) is kept in `received` when the network captures.

import { TsbpfError } from '../errors.js';
import type { VmProgram } from '../runtime/vm/program.js';
import { macFromText, macToText } from '../uapi/addresses.js';
import type { XdpDispatcher } from './dispatcher.js';
import type { XskDevice } from './xsk-port.js';

/** A frame on a queue or captured: the bytes (from the MAC header) and its time (ns). */
export interface Frame {
  readonly data: Uint8Array;
  readonly timestamp: bigint;
  /** What an XDP program left in front of the data (XDP_PASS to TC); absent: none. */
  readonly metadata?: Uint8Array;
}

/** Frames per chunk of a FrameQueue: small arrays (a copy or a slice of a 100k-entry array cost more than the frames). */
const CHUNK = 1024;

/**
 * A FIFO of frames in chunks of 1024: pushing and taking are O(1) and never copy or grow a
 * large array (a million injected frames made the old single array's growth and compaction
 * the costliest part of a run).
 */
export class FrameQueue {
  /** Full chunks and the last one being filled; the first is taken from at `#head`. */
  #chunks: Frame[][] = [];
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(frame: Frame): void {
    const chunks = this.#chunks;
    let last = chunks[chunks.length - 1];
    if (last === undefined || last.length === CHUNK) {
      last = [];
      chunks.push(last);
    }
    last.push(frame);
    this.#length++;
  }

  /**
   * The array holding the frames the last take() took, from `takenAt` on: the front chunk
   * itself when they all lay in it (pushes only append, so its entries stay as they are), else
   * the spare array take() was given.
   */
  taken: readonly Frame[] = [];
  takenAt = 0;

  /**
   * Takes up to `n` frames from the front and returns how many; they are `taken[takenAt..]`.
   * Usually (the frames in one chunk) nothing is copied; else they are moved into `spare` (a
   * NAPI poll's reused array: a poll allocates nothing) from index 0.
   */
  take(n: number, spare: Frame[]): number {
    const first = this.#chunks[0];
    const head = this.#head;
    if (first !== undefined && head + n <= first.length) {
      this.taken = first;
      this.takenAt = head;
      this.#advance(first, head + n);
      this.#length -= n;
      return n;
    }
    this.taken = spare;
    this.takenAt = 0;
    const chunks = this.#chunks;
    let done = 0;
    while (done < n) {
      const front = chunks[0];
      if (front === undefined) break;
      let at = this.#head;
      const end = Math.min(front.length, at + n - done);
      while (at < end) spare[done++] = front[at++]!;
      this.#advance(front, at);
    }
    this.#length -= done;
    return done;
  }

  /** Moves the head of the front chunk to `head`, dropping the chunk when it is spent. */
  #advance(front: Frame[], head: number): void {
    if (head === CHUNK || (head === front.length && this.#chunks.length === 1)) {
      // Spent: dropped, so its frames are not kept alive (the chunk list is short: shift is cheap).
      this.#chunks.shift();
      this.#head = 0;
    } else this.#head = head;
  }
}

/** Counters of one device (the sum of its queues). */
export interface DeviceStats {
  rxPackets: number;
  rxBytes: number;
  /** Frames the device dropped on receive (veth ring full, refused by the stack). */
  rxDropped: number;
  txPackets: number;
  txBytes: number;
  /** Frames that could not be sent (XDP_TX or a redirect to a device that cannot take them). */
  txErrors: number;
  /** XDP verdicts of the device's program, by action name (INVALID for out-of-range values). */
  readonly xdp: Record<'ABORTED' | 'DROP' | 'PASS' | 'TX' | 'REDIRECT' | 'INVALID', number>;
  /** trace_xdp_exception events: ABORTED, invalid actions, XDP_TX that failed. */
  xdpExceptions: number;
  /** xdp_do_redirect failures (trace_xdp_redirect_err): no target, target refused, socket full. */
  redirectErrors: number;
  /** Redirects by target (`dev NAME`, `cpu N`, `xsk NAME/QUEUE`), counted when enqueued. */
  readonly redirects: Record<string, number>;
  /** Frames the stack received on this device (after TC ingress). */
  stack: number;
  /** TC verdicts by outcome, per hook. */
  readonly tcIngress: Record<'pass' | 'drop' | 'consumed' | 'redirect', number>;
  readonly tcEgress: Record<'pass' | 'drop' | 'consumed' | 'redirect', number>;
}

export interface DeviceOptions {
  readonly name: string;
  /** aa:bb:cc:dd:ee:ff; default 02:00:00:00:00:<ifindex> (locally administered). */
  readonly mac?: string;
  /** Default 1500. */
  readonly mtu?: number;
  /** RX (and TX) queues; default 1. */
  readonly queues?: number;
  /**
   * GRO on (veth): the device runs NAPI without an XDP program, so its peer can XDP_TX and
   * redirect to it. Default false (a veth peer then needs an XDP program of its own).
   */
  readonly gro?: boolean;
}

const emptyTc = () => ({ pass: 0, drop: 0, consumed: 0, redirect: 0 });

function newStats(): DeviceStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxDropped: 0,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    xdp: { ABORTED: 0, DROP: 0, PASS: 0, TX: 0, REDIRECT: 0, INVALID: 0 },
    xdpExceptions: 0,
    redirectErrors: 0,
    redirects: {},
    stack: 0,
    tcIngress: emptyTc(),
    tcEgress: emptyTc(),
  };
}

/** Parses aa:bb:cc:dd:ee:ff. */
export function parseMac(text: string): Uint8Array {
  const mac = macFromText(text);
  if (mac === undefined)
    throw new TsbpfError('INVALID_ARGUMENT', `MAC address '${text}' is not aa:bb:cc:dd:ee:ff`);
  return mac;
}

export { macToText as formatMac };

/** The device side a socket transmits through (set by the Network). */
export type SocketTransmit = (device: NetDevice, frame: Uint8Array, queue: number) => boolean;

export class NetDevice implements XskDevice {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly queues: number;
  readonly gro: boolean;
  /** The other end of a veth pair, or undefined (a device with a wire). */
  peer: NetDevice | undefined;
  /** Frames waiting on each RX queue. */
  readonly rx: FrameQueue[];
  /** Frames sent out of a device without a peer. */
  readonly wire: Frame[] = [];
  /** Frames the stack received (kept when the network captures). */
  readonly received: Frame[] = [];
  readonly stats: DeviceStats = newStats();
  /** The hooks (set through Network.attach). */
  xdp: VmProgram | XdpDispatcher | undefined;
  tcIngress: VmProgram | undefined;
  tcEgress: VmProgram | undefined;
  readonly #socketTransmit: SocketTransmit;

  /** @internal made by Network.addDevice / addVethPair. */
  constructor(options: DeviceOptions, ifindex: number, socketTransmit: SocketTransmit) {
    const queues = options.queues ?? 1;
    const mtu = options.mtu ?? 1500;
    if (!/^[^\s/:]{1,15}$/.test(options.name))
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `device name '${options.name}' (1 to 15 characters, no / : or space)`,
      );
    if (!Number.isInteger(queues) || queues < 1 || queues > 256)
      throw new TsbpfError('INVALID_ARGUMENT', `${options.name}: ${queues} queues (1 to 256)`);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)
      throw new TsbpfError('INVALID_ARGUMENT', `${options.name}: MTU ${mtu} (68 to 65535)`);
    this.name = options.name;
    this.ifindex = ifindex;
    this.mac =
      options.mac === undefined
        ? Uint8Array.of(2, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff)
        : parseMac(options.mac);
    this.mtu = mtu;
    this.queues = queues;
    this.gro = options.gro ?? false;
    this.rx = Array.from({ length: queues }, () => new FrameQueue());
    this.#socketTransmit = socketTransmit;
  }

  /** Frames waiting on all RX queues. */
  get pending(): number {
    let n = 0;
    for (const q of this.rx) n += q.length;
    return n;
  }

  /**
   * Whether ndo_xdp_xmit works on this device (NETDEV_XDP_ACT_NDO_XMIT): always with a wire; on
   * a veth, when the peer runs NAPI (an XDP program or GRO on it).
   */
  get xdpXmitReady(): boolean {
    const p = this.peer;
    return p === undefined || p.xdp !== undefined || p.gro;
  }

  /** XskDevice: an AF_XDP socket's TX (no XDP, no TC egress: __dev_direct_xmit). */
  transmitFromSocket(frame: Uint8Array, queue: number): boolean {
    return this.#socketTransmit(this, frame, queue);
  }
}
