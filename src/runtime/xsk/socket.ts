// What user code holds of an AF_XDP socket, whichever kernel runs it: the UMEM bytes, the four
// rings with libxdp's verbs, the wakeup syscall, and the kernel's drop counters. The simulated
// socket (net/afxdp/socket.ts) and the real one (kernel/xsk.ts) both implement AfXdpSocket, so
// one piece of user code (an echo, a filter) runs against either.

import type { ConsumerRing, ProducerRing } from './ring.js';
import type { UmemGeometry } from './umem.js';

/** struct xdp_statistics (getsockopt XDP_STATISTICS), in the kernel's field names. */
export interface XdpStatistics {
  /** Frames dropped for want of a UMEM buffer (no FILL entry) or for being too big. */
  readonly rx_dropped: number;
  readonly rx_invalid_descs: number;
  /** TX descriptors skipped as invalid (outside the UMEM, across a chunk, empty, bad options). */
  readonly tx_invalid_descs: number;
  /** Frames dropped because the RX ring was full. */
  readonly rx_ring_full: number;
  /** Times the kernel found the FILL ring empty when it needed a buffer. */
  readonly rx_fill_ring_empty_descs: number;
  /** Times a transmit pass ended with the TX ring empty. */
  readonly tx_ring_empty_descs: number;
}

/** The UMEM as user code sees it: its bytes and geometry. */
export interface UmemArea {
  readonly geometry: UmemGeometry;
  /** The whole UMEM; a UMEM address is an offset into it. */
  readonly bytes: Uint8Array;
}

/** Ring sizes (entries, powers of two); each defaults to 2048 (libxdp's default). */
export interface XskRingSizes {
  readonly rxSize?: number;
  readonly txSize?: number;
  readonly fillSize?: number;
  readonly completionSize?: number;
}

/** libxdp's XSK_RING_{CONS,PROD}__DEFAULT_NUM_DESCS. */
export const DEFAULT_RING_SIZE = 2048;

export interface AfXdpSocket extends Disposable {
  readonly umem: UmemArea;
  readonly ifindex: number;
  readonly queue: number;
  /** User produces free UMEM addresses for the kernel to receive into. */
  readonly fill: ProducerRing;
  /** Kernel returns the addresses of transmitted frames. */
  readonly completion: ConsumerRing;
  /** Kernel produces received frames. */
  readonly rx: ConsumerRing;
  /** User produces frames to send; kick() makes the kernel send them. */
  readonly tx: ProducerRing;
  /**
   * sendto(fd, NULL, 0, MSG_DONTWAIT): the kernel drains up to 32 TX descriptors (copy mode's
   * TX_BATCH_SIZE) per call; the busy answers (EAGAIN, EBUSY, ENOBUFS) are not errors.
   */
  kick(): void;
  /** Waits up to `timeoutMs` for received frames; returns the RX entries ready to peek. */
  poll(timeoutMs: number): number;
  statistics(): XdpStatistics;
  readonly closed: boolean;
  close(): void;
}
