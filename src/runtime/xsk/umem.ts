// The UMEM as the kernel's xdp_umem sees it: a byte area cut into equal chunks, each frame
// placed at chunk + headroom + XDP_PACKET_HEADROOM on receive. This file holds the registration
// checks of net/xdp/xdp_umem.c (xdp_umem_reg) and the chunk addressing of aligned mode
// (xp_aligned_extract_addr); it owns no memory — the simulation passes an ArrayBuffer, the kernel
// backend an mmapped area.

import { BpfError, Errno, NotSupportedError } from '../../errors.js';
import {
  XDP_PACKET_HEADROOM,
  XDP_PKT_CONTD,
  XDP_TX_METADATA,
  XDP_UMEM_MIN_CHUNK_SIZE,
} from '../../uapi/if-xdp.js';
import { PAGE_SIZE } from '../../uapi/page.js';

export interface UmemConfig {
  /** Number of chunks (frames) in the UMEM. */
  readonly frameCount: number;
  /** Chunk size in bytes: a power of two in [2048, PAGE_SIZE]. Default 4096. */
  readonly frameSize?: number;
  /** Bytes the kernel leaves free before each received frame, after its own 256. Default 0. */
  readonly headroom?: number;
}

/** A registered UMEM's geometry (what xdp_umem_reg accepted). */
export interface UmemGeometry {
  readonly chunkSize: number;
  readonly headroom: number;
  readonly frameCount: number;
  /** UMEM length in bytes: frameCount * chunkSize. */
  readonly size: number;
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * The checks of xdp_umem_reg() for an aligned UMEM, failing with the errno the kernel's
 * setsockopt(XDP_UMEM_REG) gives (EINVAL), as a BpfError whose op is `XDP_UMEM_REG`.
 */
export function checkUmemConfig(config: UmemConfig): UmemGeometry {
  const chunkSize = config.frameSize ?? PAGE_SIZE;
  const headroom = config.headroom ?? 0;
  const { frameCount } = config;
  const refuse = (reason: string): never => {
    throw new BpfError('XDP_UMEM_REG', Errno.EINVAL, { reason });
  };
  if (!Number.isInteger(chunkSize) || chunkSize < XDP_UMEM_MIN_CHUNK_SIZE || chunkSize > PAGE_SIZE)
    refuse(`frame size ${chunkSize} is outside [${XDP_UMEM_MIN_CHUNK_SIZE}, ${PAGE_SIZE}]`);
  if (!isPow2(chunkSize))
    throw new NotSupportedError('unaligned UMEM chunks', `frame size ${chunkSize} is not a power of two`);
  if (!Number.isInteger(frameCount) || frameCount <= 0) refuse(`frame count ${frameCount} is not positive`);
  if (frameCount * chunkSize > 2 ** 32) refuse(`a UMEM of ${frameCount} frames exceeds 4 GiB`);
  if (!Number.isInteger(headroom) || headroom < 0 || headroom >= chunkSize - XDP_PACKET_HEADROOM)
    refuse(`headroom ${headroom} must be below frame size - ${XDP_PACKET_HEADROOM}`);
  return { chunkSize, headroom, frameCount, size: frameCount * chunkSize };
}

/** The start of the chunk holding UMEM address `addr` (aligned mode). */
export function chunkOf(geometry: UmemGeometry, addr: number): number {
  return addr - (addr % geometry.chunkSize);
}

/** Where a received frame's data starts in the chunk at `chunk`: after both headrooms. */
export function rxDataAddr(geometry: UmemGeometry, chunk: number): number {
  return chunk + geometry.headroom + XDP_PACKET_HEADROOM;
}

/** The largest frame one chunk takes on receive (xsk_pool_get_rx_frame_size). */
export function rxFrameSize(geometry: UmemGeometry): number {
  return geometry.chunkSize - geometry.headroom - XDP_PACKET_HEADROOM;
}

/** xdp_desc.options bits a TX descriptor may carry (XDP_PKT_CONTD, XDP_TX_METADATA). */
const TX_OPTIONS = XDP_PKT_CONTD | XDP_TX_METADATA;

/**
 * Whether the kernel takes a TX descriptor (xp_aligned_validate_desc without TX metadata):
 * non-empty, inside one chunk, inside the UMEM, no option bit beyond XDP_PKT_CONTD and
 * XDP_TX_METADATA. What those two then do is the transmit path's business.
 */
export function isValidTxDesc(geometry: UmemGeometry, addr: number, len: number, options: number): boolean {
  if (len === 0 || (options & ~TX_OPTIONS) !== 0) return false;
  if (addr >= geometry.size) return false;
  return (addr % geometry.chunkSize) + len <= geometry.chunkSize;
}
