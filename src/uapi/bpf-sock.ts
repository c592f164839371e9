// Sockets as programs see them: the layouts of `struct bpf_sock`, `struct bpf_tcp_sock` and
// `struct bpf_xdp_sock` (uapi <linux/bpf.h>) and which loads the kernel allows through each socket
// pointer type, as net/core/filter.c decides (bpf_sock_common_is_valid_access,
// bpf_sock_is_valid_access, bpf_tcp_sock_is_valid_access, bpf_xdp_sock_is_valid_access). Every
// (offset, size) answer was checked against Linux 6.18 (src/runtime/helpers/sock-kernel.test.ts).
// No writes: programs only read sockets.

/** struct bpf_sock, 80 bytes: the byte offsets of its fields. */
export const BpfSock = Object.freeze({
  bound_dev_if: 0,
  family: 4,
  type: 8,
  protocol: 12,
  mark: 16,
  priority: 20,
  src_ip4: 24,
  src_ip6: 28, // __u32[4]
  src_port: 44, // host order
  dst_port: 48, // __be16, then 2 bytes of padding
  dst_ip4: 52,
  dst_ip6: 56, // __u32[4]
  state: 72,
  rx_queue_mapping: 76, // __s32
});
export const BPF_SOCK_SIZE = 80;

/** sizeof(struct bpf_tcp_sock) up to icsk_retransmits, the last field programs may read. */
export const BPF_TCP_SOCK_SIZE = 112;
/** struct bpf_tcp_sock's two u64 fields (bytes_received, bytes_acked) span [80, 96); the rest are u32. */
const TCP_SOCK_U64_START = 80;
const TCP_SOCK_U64_END = 96;

/** struct bpf_xdp_sock (an XSKMAP lookup's result): one field, queue_id, the RX queue the AF_XDP socket is bound to. */
export const BPF_XDP_SOCK_SIZE = 4;

/** The socket pointer kinds (the kernel's PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK, PTR_TO_XDP_SOCK). */
export type SockKind = 'sock_common' | 'sock' | 'tcp_sock' | 'xdp_sock';

/** Fields readable in part only from their first byte: any size up to 4 there, nothing inside. */
const AT_START: ReadonlySet<number> = new Set([
  BpfSock.family,
  BpfSock.type,
  BpfSock.protocol,
  BpfSock.src_port,
  BpfSock.state,
  BpfSock.rx_queue_mapping,
]);

/** Fields readable in part anywhere inside (the addresses): [start, end). */
const ADDRESSES: readonly (readonly [number, number])[] = [
  [BpfSock.src_ip4, BpfSock.src_ip4 + 4],
  [BpfSock.src_ip6, BpfSock.src_ip6 + 16],
  [BpfSock.dst_ip4, BpfSock.dst_ip4 + 4],
  [BpfSock.dst_ip6, BpfSock.dst_ip6 + 16],
];

/** `size` is 1, 2 or 4 (a load no wider than the u32 the kernel reads). */
const narrow = (size: number): boolean => size === 1 || size === 2 || size === 4;

/** Whether a `size`-byte load at `off` through a pointer of `kind` is allowed. */
export function sockLoadAllowed(kind: SockKind, off: number, size: number): boolean {
  if (kind === 'xdp_sock') return off === 0 && size === BPF_XDP_SOCK_SIZE; // queue_id, whole
  if (kind === 'tcp_sock') {
    if (off < 0 || off >= BPF_TCP_SOCK_SIZE || off % size !== 0) return false;
    return size === (off >= TCP_SOCK_U64_START && off < TCP_SOCK_U64_END ? 8 : 4);
  }
  if (off < 0 || off >= BPF_SOCK_SIZE || off % size !== 0) return false;
  // A socket that may be a request or time-wait socket has no type, protocol, mark or priority.
  if (kind === 'sock_common' && off >= BpfSock.type && off < BpfSock.priority + 4) return false;
  if (AT_START.has(off)) return narrow(size);
  if (ADDRESSES.some(([start, end]) => off >= start && off < end)) return narrow(size);
  // dst_port: the whole u32 slot, or the __be16 itself in part; never its padding.
  if (off === BpfSock.dst_port) return narrow(size);
  if (off > BpfSock.dst_port && off < BpfSock.dst_ip4) return off === BpfSock.dst_port + 1 && size === 1;
  // bound_dev_if, mark, priority: whole only.
  return size === 4;
}

/** TCP states the socket helpers test (include/net/tcp_states.h). */
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;
export const TCP_NEW_SYN_RECV = 12;
/** IPPROTO_TCP and SOCK_STREAM: what makes a full socket a TCP one (bpf_tcp_sock). */
export const IPPROTO_TCP = 6;
export const SOCK_STREAM = 1;
