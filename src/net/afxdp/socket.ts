// A simulated AF_XDP socket in copy mode: the four rings in their own memory, user code on one
// side (libxdp's verbs on fill/completion/rx/tx) and on the other the kernel's copy-mode paths of
// net/xdp/xsk.c, reached by a simulated device through net/xsk-port.ts:
//   receive (deliver): frame too big -> rx_dropped; no buffer (FILL empty) -> rx_dropped and
//     rx_fill_ring_empty_descs; RX ring full -> rx_ring_full, the buffer back to the pool's free
//     list; else the frame (and the metadata before it) copied to chunk + headroom + 256, its
//     descriptor reserved on RX and published at the poll's end (flush).
//   transmit (kick = sendto): at most 32 descriptors per call; an invalid one is counted
//     (tx_invalid_descs), completed and ends the pass; a full COMPLETION ring stops the pass
//     (backpressure); an empty TX ring ends it and counts tx_ring_empty_descs; each sent frame's
//     address goes to COMPLETION (the TX rules as kernel 6.18 answered in src/kernel/xsk.test.ts).
// Every frame delivered is on RX or counted; every TX descriptor is completed or counted.

import { BpfError, ClosedError, Errno, NotSupportedError, TsbpfError } from '../../errors.js';
import {
  ConsumerRing,
  isRingSize,
  ProducerRing,
  type RingLayout,
  ringBytes,
} from '../../runtime/xsk/ring.js';
import {
  type AfXdpSocket,
  DEFAULT_RING_SIZE,
  type XdpStatistics,
  type XskRingSizes,
} from '../../runtime/xsk/socket.js';
import { isValidTxDesc, rxDataAddr, rxFrameSize } from '../../runtime/xsk/umem.js';
import {
  XDP_ADDR_SIZE,
  XDP_DESC_SIZE,
  XDP_PKT_CONTD,
  XDP_RING_LAYOUT,
  XDP_TX_METADATA,
} from '../../uapi/if-xdp.js';
import type { XskDeliveryMeta, XskDevice, XskPort, XskRegistry } from '../xsk-port.js';
import { BuffPool } from './buff-pool.js';
import type { Umem } from './umem.js';

/** net/xdp/xsk.c TX_BATCH_SIZE: descriptors one sendto() drains at most. */
export const TX_BATCH_SIZE = 32;

export interface XskSocketOptions extends XskRingSizes {
  /** XDP_USE_NEED_WAKEUP: the kernel flags the rings it wants a syscall for. */
  readonly needWakeup?: boolean;
}

const layout: RingLayout = XDP_RING_LAYOUT;

/** Both ends of one ring over one memory: `user` for user code, `kernel` for the simulated kernel. */
function ringPair<U extends ProducerRing | ConsumerRing>(
  size: number,
  entrySize: number,
  userProduces: boolean,
): { user: U; kernel: ProducerRing | ConsumerRing } {
  if (!isRingSize(size)) throw new TsbpfError('INVALID_ARGUMENT', `ring size ${size} is not a power of two`);
  const view = new DataView(new ArrayBuffer(ringBytes(layout, size, entrySize)));
  const user = userProduces
    ? new ProducerRing(view, layout, size, entrySize)
    : new ConsumerRing(view, layout, size, entrySize);
  const kernel = userProduces
    ? new ConsumerRing(view, layout, size, entrySize)
    : new ProducerRing(view, layout, size, entrySize);
  return { user: user as U, kernel };
}

export class XskSocket implements AfXdpSocket, XskPort {
  readonly umem: Umem;
  readonly fill: ProducerRing;
  readonly completion: ConsumerRing;
  readonly rx: ConsumerRing;
  readonly tx: ProducerRing;
  readonly #needWakeup: boolean;
  readonly #pool: BuffPool;
  readonly #rx: ProducerRing;
  readonly #tx: ConsumerRing;
  readonly #cq: ProducerRing;
  #registry: XskRegistry | undefined;
  #device: XskDevice | undefined;
  #id = 0;
  #ifindex = 0;
  #queue = 0;
  #closed = false;
  #rxPending = 0;
  #rxDropped = 0;
  #rxRingFull = 0;
  #txInvalid = 0;
  #txEmpty = 0;

  constructor(umem: Umem, options: XskSocketOptions = {}) {
    this.umem = umem;
    this.#needWakeup = options.needWakeup ?? false;
    const fill = ringPair<ProducerRing>(options.fillSize ?? DEFAULT_RING_SIZE, XDP_ADDR_SIZE, true);
    const cq = ringPair<ConsumerRing>(options.completionSize ?? DEFAULT_RING_SIZE, XDP_ADDR_SIZE, false);
    const rx = ringPair<ConsumerRing>(options.rxSize ?? DEFAULT_RING_SIZE, XDP_DESC_SIZE, false);
    const tx = ringPair<ProducerRing>(options.txSize ?? DEFAULT_RING_SIZE, XDP_DESC_SIZE, true);
    this.fill = fill.user;
    this.completion = cq.user;
    this.rx = rx.user;
    this.tx = tx.user;
    this.#pool = new BuffPool(umem.geometry, fill.kernel as ConsumerRing);
    this.#cq = cq.kernel as ProducerRing;
    this.#rx = rx.kernel as ProducerRing;
    this.#tx = tx.kernel as ConsumerRing;
  }

  /** The id an xskmap slot holds for this socket (0 until bound). */
  get id(): number {
    return this.#id;
  }

  get ifindex(): number {
    return this.#ifindex;
  }

  get queue(): number {
    return this.#queue;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Buffers the kernel side holds on its free list (taken from FILL, not on RX). */
  get heldBuffers(): number {
    return this.#pool.held;
  }

  /** FILL entries skipped for lying outside the UMEM (the FILL queue's invalid_descs). */
  get fillInvalidDescs(): number {
    return this.#pool.fillInvalid;
  }

  /** bind(2) in copy mode to (ifindex, queue) of a device in `registry`; gives the socket its id. */
  bind(registry: XskRegistry, ifindex: number, queue: number): this {
    this.#live();
    if (this.#registry !== undefined) throw new TsbpfError('INVALID_ARGUMENT', 'socket is already bound');
    const device = registry.device(ifindex);
    if (device === undefined) throw new TsbpfError('INVALID_ARGUMENT', `no device with ifindex ${ifindex}`);
    this.#id = registry.allocateId();
    this.#ifindex = ifindex;
    this.#queue = queue;
    registry.register(this);
    this.#registry = registry;
    this.#device = device;
    // xp_assign_dev: TX must be woken the first time, and copy mode never clears the flag.
    if (this.#needWakeup) this.tx.setNeedWakeup(true);
    return this;
  }

  deliver(frame: Uint8Array, meta: XskDeliveryMeta): boolean {
    if (this.#closed || meta.ifindex !== this.#ifindex || meta.queue !== this.#queue) return false;
    const g = this.umem.geometry;
    if (frame.length > rxFrameSize(g)) {
      this.#rxDropped++;
      return false;
    }
    const chunk = this.#pool.alloc();
    if (chunk < 0) {
      this.#rxDropped++;
      return false;
    }
    const idx = this.#rx.reserve(1);
    if (idx < 0) {
      this.#rxRingFull++;
      this.#pool.free(chunk);
      return false;
    }
    const data = rxDataAddr(g, chunk);
    this.umem.bytes.set(meta.metadata, data - meta.metadata.length);
    this.umem.bytes.set(frame, data);
    this.#rx.setDesc(idx, data, frame.length, 0);
    this.#rxPending++;
    return true;
  }

  flush(): void {
    if (this.#rxPending === 0) return;
    this.#rx.submit(this.#rxPending);
    this.#rxPending = 0;
  }

  kick(): void {
    this.#live();
    const device = this.#device;
    if (device === undefined) throw new TsbpfError('INVALID_ARGUMENT', 'sendto on an unbound AF_XDP socket');
    const g = this.umem.geometry;
    let budget = TX_BATCH_SIZE;
    for (;;) {
      const span = this.#tx.peek(1);
      if (span.count === 0) {
        this.#txEmpty++;
        return;
      }
      const d = this.#tx.desc(span.idx);
      const valid = isValidTxDesc(g, d.addr, d.len, d.options);
      if (valid && (d.options & XDP_PKT_CONTD) !== 0) {
        this.#tx.cancel(1);
        throw new NotSupportedError('multi-buffer AF_XDP transmit (XDP_PKT_CONTD)');
      }
      if (valid && (d.options & XDP_TX_METADATA) !== 0) {
        // Kernel 6.18 without tx_metadata_len: sendto fails with EINVAL and the descriptor stays.
        this.#tx.cancel(1);
        throw new BpfError('sendto(AF_XDP)', Errno.EINVAL, { reason: 'XDP_TX_METADATA without TX metadata' });
      }
      if ((valid && budget-- === 0) || this.#cq.nbFree(1) < 1) {
        this.#tx.cancel(1); // EAGAIN: the descriptor stays for the next call
        return;
      }
      const cqIdx = this.#cq.reserve(1);
      this.#tx.release(1);
      // An invalid descriptor is counted, its buffer completed, and the pass ends (kernel 6.18).
      const sent =
        valid && device.transmitFromSocket(this.umem.bytes.slice(d.addr, d.addr + d.len), this.#queue);
      if (!valid) this.#txInvalid++;
      // The skb's destructor completes the buffer whether or not the device sent it.
      this.#cq.setAddr(cqIdx, d.addr);
      this.#cq.submit(1);
      if (!sent) return; // invalid, or NET_XMIT_DROP (-EBUSY): the pass ends
    }
  }

  poll(_timeoutMs: number): number {
    this.#live();
    return this.rx.nbAvail(this.rx.size);
  }

  statistics(): XdpStatistics {
    return {
      rx_dropped: this.#rxDropped,
      rx_invalid_descs: 0,
      tx_invalid_descs: this.#txInvalid,
      rx_ring_full: this.#rxRingFull,
      rx_fill_ring_empty_descs: this.#pool.fillEmpty,
      tx_ring_empty_descs: this.#txEmpty,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#registry?.unregister(this);
    this.#registry = undefined;
    this.#device = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(): void {
    if (this.#closed) throw new ClosedError('AF_XDP socket');
  }
}
