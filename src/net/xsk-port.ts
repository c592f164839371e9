// The seam between a simulated device and AF_XDP sockets (net/afxdp/ implements the socket side).
// An xskmap slot holds a socket id; XDP_REDIRECT into it reaches the socket registered under that
// id, which must be bound to the frame's (ifindex, queue) or the redirect fails (-EINVAL, as
// xsk_rcv_check does). Frames are delivered one by one during a NAPI poll and published to user
// space at the poll's end (flush: __xsk_map_flush / xsk_flush). Transmit goes the other way: a
// socket hands frames to its bound device (the xsk generic TX path: no XDP program runs on them).
// Semantics from the kernel's net/xdp/xsk.c and net/xdp/xskmap.c.

import { TsbpfError } from '../errors.js';

/** What the device tells a socket about a frame it delivers. */
export interface XskDeliveryMeta {
  /** The receiving device and RX queue (what the socket is bound to). */
  readonly ifindex: number;
  readonly queue: number;
  /**
   * The bytes the XDP program put in front of the data (data_meta..data), empty when none.
   * Copy mode does not carry them to user space; zero-copy leaves them in the headroom.
   */
  readonly metadata: Uint8Array;
}

/** An AF_XDP socket as a device sees it. */
export interface XskPort {
  /** The id an xskmap value holds for this socket (non-zero, unique in its registry). */
  readonly id: number;
  /** The binding: device and queue (a frame from elsewhere is refused before deliver). */
  readonly ifindex: number;
  readonly queue: number;
  /**
   * Copies `frame` (the packet from data to data_end; only valid during the call) into the
   * socket's RX path. false: dropped, and counted by the socket where the kernel counts it
   * (rx_dropped with no FILL entry or a frame too big, rx_ring_full with a full RX ring).
   */
  deliver(frame: Uint8Array, meta: XskDeliveryMeta): boolean;
  /** The end of a NAPI poll that delivered to this socket: publish RX (producer index, wakeup). */
  flush(): void;
}

/** A device as a socket bound to it sees it (a NetDevice implements this). */
export interface XskDevice {
  readonly name: string;
  readonly ifindex: number;
  /** RX/TX queue count: a socket binds to a queue below it. */
  readonly queues: number;
  readonly mtu: number;
  /**
   * Sends a frame out of the device from TX queue `queue` (the socket's TX ring drained by
   * sendto/poll). Returns false when the device refuses it (down, frame above the MTU).
   */
  transmitFromSocket(frame: Uint8Array, queue: number): boolean;
}

/** Devices and the sockets bound to them, by id and by (ifindex, queue); one per Network. */
export class XskRegistry {
  readonly #devices = new Map<number, XskDevice>();
  readonly #ports = new Map<number, XskPort>();
  #nextId = 1;

  /** A fresh socket id (what the socket puts in its `id`, and a user in an xskmap slot). */
  allocateId(): number {
    return this.#nextId++;
  }

  addDevice(device: XskDevice): void {
    this.#devices.set(device.ifindex, device);
  }

  device(ifindex: number): XskDevice | undefined {
    return this.#devices.get(ifindex);
  }

  /** Registers a bound socket; its device and queue must exist (bind's ENODEV / EINVAL). */
  register(port: XskPort): void {
    const dev = this.#devices.get(port.ifindex);
    if (dev === undefined) throw new TsbpfError('INVALID_ARGUMENT', `no device with ifindex ${port.ifindex}`);
    if (!Number.isInteger(port.queue) || port.queue < 0 || port.queue >= dev.queues)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${dev.name} has no queue ${port.queue} (${dev.queues} queues)`,
      );
    if (this.#ports.has(port.id))
      throw new TsbpfError('INVALID_ARGUMENT', `socket id ${port.id} already registered`);
    this.#ports.set(port.id, port);
  }

  unregister(port: XskPort): void {
    if (this.#ports.get(port.id) === port) this.#ports.delete(port.id);
  }

  /** The socket an xskmap value names, or undefined (closed). */
  byId(id: number): XskPort | undefined {
    return this.#ports.get(id);
  }

  /** The sockets bound to (ifindex, queue) (several with a shared UMEM), in registration order. */
  boundTo(ifindex: number, queue: number): XskPort[] {
    return [...this.#ports.values()].filter((p) => p.ifindex === ifindex && p.queue === queue);
  }
}
