// AF_XDP's user-space interface as data: socket options, bind flags, mmap page offsets and the
// byte layouts of the structs passed through them. Values from the kernel's
// include/uapi/linux/if_xdp.h; ring offsets from XDP_MMAP_OFFSETS on x86-64 (kernel 6.18),
// checked live in src/kernel/xsk.test.ts. Nothing here does I/O.

/** Address family and socket level (include/linux/socket.h). */
export const AF_XDP = 44;
export const SOL_XDP = 283;

/** Socket options at SOL_XDP. */
export const XdpSockopt = {
  MMAP_OFFSETS: 1,
  RX_RING: 2,
  TX_RING: 3,
  UMEM_REG: 4,
  UMEM_FILL_RING: 5,
  UMEM_COMPLETION_RING: 6,
  STATISTICS: 7,
  OPTIONS: 8,
} as const;

/** sockaddr_xdp.sxdp_flags. */
export const XDP_SHARED_UMEM = 1 << 0;
export const XDP_COPY = 1 << 1;
export const XDP_ZEROCOPY = 1 << 2;
export const XDP_USE_NEED_WAKEUP = 1 << 3;

/** xdp_umem_reg.flags. */
export const XDP_UMEM_UNALIGNED_CHUNK_FLAG = 1 << 0;
/** xdp_ring.flags: the kernel wants a syscall (poll/sendto/recvfrom) to make progress. */
export const XDP_RING_NEED_WAKEUP = 1 << 0;
/** xdp_desc.options: more fragments of this packet follow (multi-buffer). */
export const XDP_PKT_CONTD = 1 << 0;
/** xdp_desc.options: TX metadata precedes the frame (needs xdp_umem_reg.tx_metadata_len). */
export const XDP_TX_METADATA = 1 << 1;

/** mmap page offsets of the four rings. */
export const XDP_PGOFF_RX_RING = 0n;
export const XDP_PGOFF_TX_RING = 0x80000000n;
export const XDP_UMEM_PGOFF_FILL_RING = 0x100000000n;
export const XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000n;

/** net/xdp/xdp_umem.c: chunk sizes lie in [XDP_UMEM_MIN_CHUNK_SIZE, PAGE_SIZE]. */
export const XDP_UMEM_MIN_CHUNK_SIZE = 2048;
/** include/uapi/linux/bpf.h: the headroom XDP reserves before the packet. */
export const XDP_PACKET_HEADROOM = 256;

/**
 * struct xdp_ring (net/xdp/xsk_queue.h) as mmapped: each index on its own cache line.
 *
 *   0 producer | 64 pad | 128 consumer | 192 pad, 196 flags | 256 pad | 320 desc[]
 */
export const XDP_RING_LAYOUT = { producer: 0, consumer: 128, flags: 196, desc: 320 } as const;

/** struct xdp_desc { u64 addr; u32 len; u32 options; }: RX and TX entries. */
export const XDP_DESC_SIZE = 16;
/** FILL and COMPLETION entries are a bare u64 UMEM address. */
export const XDP_ADDR_SIZE = 8;

/** struct sockaddr_xdp { u16 family, flags; u32 ifindex, queue_id, shared_umem_fd; }. */
export const SockaddrXdp = {
  family: 0,
  flags: 2,
  ifindex: 4,
  queue_id: 8,
  shared_umem_fd: 12,
  size: 16,
} as const;

/** struct xdp_umem_reg (with flags and tx_metadata_len: 32 bytes; the kernel takes 24 too). */
export const UmemReg = {
  addr: 0,
  len: 8,
  chunk_size: 16,
  headroom: 20,
  flags: 24,
  tx_metadata_len: 28,
  size: 32,
} as const;

/** struct xdp_mmap_offsets: four struct xdp_ring_offset { u64 producer, consumer, desc, flags; }. */
export const MmapOffsets = { rx: 0, tx: 32, fr: 64, cr: 96, size: 128 } as const;

/** struct xdp_statistics: six u64 counters, in this order. */
export const XDP_STATISTICS_FIELDS = [
  'rx_dropped',
  'rx_invalid_descs',
  'tx_invalid_descs',
  'rx_ring_full',
  'rx_fill_ring_empty_descs',
  'tx_ring_empty_descs',
] as const;
export const XDP_STATISTICS_SIZE = 48;
