// The socket-buffer context of a test run (SOCKET_FILTER, SCHED_CLS, SCHED_ACT, CGROUP_SKB): a
// linear buffer with NET_SKB_PAD of headroom and the shared-info tailroom, and a `struct __sk_buff`
// whose fields hold what the kernel's ctx rewrites would read (len, protocol, pkt_type, ifindex,
// data/data_end as real addresses). TC sees the skb from the MAC header; socket filters and
// cgroup skb programs from the network header, and get the frame back with the MAC header zeroed.
// The buffer is a reservation: types with direct packet access (TC, cgroup skb) may touch only
// the window [data, data_end), which sync() moves; socket filters get no window (they read by
// helper or LD_ABS) and see data/data_end as 0.
// Input checks follow net/bpf/test_run.c (bpf_prog_test_run_skb) as kernel 6.18 answers; that
// cgroup skb test runs compute the packet pointers (without the MAC header) is the kernel's answer
// too (src/runtime/context/skb-kernel.test.ts).

import { BPF_SOCK_SIZE, BpfSock, TCP_CLOSE } from '../../uapi/bpf-sock.js';
import { SK_BUFF_SIZE, SkBuff } from '../../uapi/context.js';
import { Errno } from '../../uapi/errno.js';
import {
  ETH_HLEN,
  ETH_P_802_2,
  ETH_P_802_3,
  ETH_P_802_3_MIN,
  ETH_P_IP,
  ETH_P_IPV6,
} from '../../uapi/index.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import { AF_INET, AF_INET6 } from '../../uapi/socket.js';
import type { AddressSpace, Region } from '../memory.js';
import { type ProgramContext, SKB_SHARED_INFO_SIZE, TestRunRefusal } from './types.js';
import type { Interfaces } from './xdp.js';

/** NET_SKB_PAD + NET_IP_ALIGN on x86-64: the headroom of a test-run skb. */
export const SKB_HEADROOM = 64;
/** BPF_F_TEST_SKB_CHECKSUM_COMPLETE. */
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 4;
/** The largest test-run skb: PAGE_SIZE less headroom and tailroom (3712). */
export const SKB_MAX_DATA = PAGE_SIZE - SKB_HEADROOM - SKB_SHARED_INFO_SIZE;
/** GSO_MAX_SEGS and GSO_LEGACY_MAX_SIZE (include/linux/netdevice.h). */
const GSO_MAX_SEGS = 65535;
const GSO_LEGACY_MAX_SIZE = 65536;
/** __sk_buff fields read through skb->sk: offset, its struct bpf_sock field, size. */
const SK_BUFF_FROM_SOCK: readonly (readonly [number, number, number])[] = [
  [SkBuff.family!, BpfSock.family, 4],
  [SkBuff.local_ip4!, BpfSock.src_ip4, 4],
  [SkBuff.remote_ip4!, BpfSock.dst_ip4, 4],
  [SkBuff.local_ip6!, BpfSock.src_ip6, 16],
  [SkBuff.remote_ip6!, BpfSock.dst_ip6, 16],
];
/** Fields of __sk_buff a test run takes from ctx_in; every other byte must be zero (convert___skb_to_skb). */
const CTX_IN_FIELDS: readonly (readonly [number, number])[] = [
  [SkBuff.mark!, 4],
  [SkBuff.priority!, 4],
  [SkBuff.ingress_ifindex!, 4],
  [SkBuff.ifindex!, 4],
  [SkBuff.cb!, 20],
  [SkBuff.tstamp!, 8],
  [SkBuff.wire_len!, 4],
  [SkBuff.gso_segs!, 4],
  [SkBuff.gso_size!, 4],
  [SkBuff.hwtstamp!, 8],
];

/** The __sk_buff offsets create() and sync() write on every run, looked up once. */
const F = {
  len: SkBuff.len!,
  pkt_type: SkBuff.pkt_type!,
  protocol: SkBuff.protocol!,
  ifindex: SkBuff.ifindex!,
  wire_len: SkBuff.wire_len!,
  data: SkBuff.data!,
  data_end: SkBuff.data_end!,
  data_meta: SkBuff.data_meta!,
  sk: SkBuff.sk!,
} as const;

/** Which bytes of __sk_buff ctx_in may set (CTX_IN_FIELDS), and a scratch copy of ctx_in: made once, not per run. */
const CTX_IN_ALLOWED = new Uint8Array(SK_BUFF_SIZE);
for (const [off, n] of CTX_IN_FIELDS) CTX_IN_ALLOWED.fill(1, off, off + n);
const IN_CTX = new Uint8Array(SK_BUFF_SIZE);
const IN_VIEW = new DataView(IN_CTX.buffer);

export interface SkbInput {
  readonly data: Uint8Array;
  readonly ctx: Uint8Array | undefined;
  readonly flags: number;
  readonly cpu: number;
  readonly interfaces: Interfaces;
  /** The skb belongs to a socket: a test run's, whose family and addresses follow the packet. */
  readonly socket: boolean;
}

/** eth_type_trans(): the skb protocol (host order) of a frame. */
function ethProtocol(frame: Uint8Array): number {
  const t = (frame[12]! << 8) | frame[13]!;
  if (t >= ETH_P_802_3_MIN) return t;
  // 802.3 frames: raw IPX (0xFFFF) is 802.3, anything else 802.2 LLC.
  return frame[14] === 0xff && frame[15] === 0xff ? ETH_P_802_3 : ETH_P_802_2;
}

/**
 * eth_type_trans() on the loopback device: its address and its broadcast address are both
 * 00:00:00:00:00:00, so ff:ff:ff:ff:ff:ff is PACKET_MULTICAST (2) like any group address;
 * zeros are PACKET_HOST (0), other unicast PACKET_OTHERHOST (3).
 */
function pktType(frame: Uint8Array): number {
  if ((frame[0]! | frame[1]! | frame[2]! | frame[3]! | frame[4]! | frame[5]!) === 0) return 0;
  return frame[0]! & 1 ? 2 : 3;
}

/** TC programs see the MAC header (is_l2 in bpf_prog_test_run_skb); the others start at the network header. */
const macHeader = (type: ProgTypeName): boolean => type === 'SCHED_CLS' || type === 'SCHED_ACT';
/** Types whose __sk_buff data/data_end point at the packet: TC and cgroup skb. */
const directAccess = (type: ProgTypeName): boolean => type !== 'SOCKET_FILTER';

export class SkbContext implements ProgramContext {
  readonly kind = '__sk_buff';
  readonly type: ProgTypeName;
  readonly struct: Region;
  /**
   * The struct bpf_sock skb->sk points at, read-only; mapped only while the skb has a socket
   * (a test run's, see #socket), hidden otherwise.
   */
  readonly sock: Region;
  /** skb->sk: the address of `sock` when the skb has a socket, else 0 (the data path's skbs). */
  sk = 0;
  /** The skb's buffer (head), reserved; replaced by expand() when a helper needs more room. */
  frame: Region;
  /** The accessible [data, data_end) for direct-packet-access types, a window of `frame`. */
  window: Region | undefined;
  readonly space: AddressSpace;
  /** skb->data (absolute) and skb->len; the skb is linear. */
  data: number;
  len: number;
  /** True for TC: the program sees the frame from the MAC header. */
  readonly l2: boolean;
  /** True for TC and cgroup skb: __sk_buff's data/data_end point at the packet (bpf_compute_data_pointers). */
  readonly direct: boolean;
  /** skb_metadata_len(): bytes an XDP program left before the data (data_meta..data); 0 in test runs. */
  metaLen = 0;

  private constructor(
    type: ProgTypeName,
    space: AddressSpace,
    struct: Region,
    sock: Region,
    frame: Region,
    window: Region | undefined,
  ) {
    this.type = type;
    this.space = space;
    this.struct = struct;
    this.sock = sock;
    this.frame = frame;
    this.l2 = macHeader(type);
    this.direct = directAccess(type);
    this.window = window;
    this.data = frame.start + SKB_HEADROOM;
    this.len = 0;
  }

  /**
   * Builds the skb for `input`, or returns the kernel's refusal. `spare`: a context park() left
   * in the same space, whose regions the new one takes (the buffer only when its size fits),
   * zeroed as fresh ones are; spent when a context is returned, untouched when refused.
   */
  static create(
    type: ProgTypeName,
    space: AddressSpace,
    input: SkbInput,
    spare?: SkbContext,
  ): SkbContext | TestRunRefusal {
    const { data, ctx } = input;
    if (input.flags & ~BPF_F_TEST_SKB_CHECKSUM_COMPLETE || input.cpu !== 0) {
      return new TestRunRefusal(Errno.EINVAL, 'flags/cpu');
    }
    const size = data.length;
    if (size < ETH_HLEN || size > SKB_MAX_DATA) return new TestRunRefusal(Errno.EINVAL, `${size}-byte frame`);
    if (ctx?.some((b, k) => k >= SK_BUFF_SIZE && b !== 0)) {
      return new TestRunRefusal(Errno.E2BIG, 'ctx tail');
    }
    // create() does not nest: one scratch copy serves every call.
    const inCtx = IN_CTX;
    const cv = IN_VIEW;
    inCtx.fill(0);
    if (ctx !== undefined) inCtx.set(ctx.subarray(0, SK_BUFF_SIZE));
    const ifindex = cv.getUint32(SkBuff.ifindex!, true);
    if (ifindex > 1 && !input.interfaces.has(ifindex))
      return new TestRunRefusal(Errno.ENODEV, `no interface ${ifindex}`);
    const protocol = ethProtocol(data);
    // The kernel pulls the network header before running: a truncated IPv4/IPv6 header is refused.
    if (protocol === ETH_P_IP && size - ETH_HLEN < 20)
      return new TestRunRefusal(Errno.EINVAL, 'truncated IPv4 header');
    if (protocol === ETH_P_IPV6 && size - ETH_HLEN < 40)
      return new TestRunRefusal(Errno.EINVAL, 'truncated IPv6 header');
    if (ctx !== undefined) {
      if (inCtx.some((b, k) => b !== 0 && !CTX_IN_ALLOWED[k]))
        return new TestRunRefusal(Errno.EINVAL, '__sk_buff field not settable');
      const wire = cv.getUint32(SkBuff.wire_len!, true);
      const len = macHeader(type) ? size : size - ETH_HLEN;
      if (wire !== 0 && (wire < len || wire > GSO_LEGACY_MAX_SIZE))
        return new TestRunRefusal(Errno.EINVAL, 'wire_len');
      if (cv.getUint32(SkBuff.gso_segs!, true) > GSO_MAX_SEGS)
        return new TestRunRefusal(Errno.EINVAL, 'gso_segs');
    }
    const bufSize = SKB_HEADROOM + Math.ceil(size / 64) * 64 + SKB_SHARED_INFO_SIZE;
    const s = SkbContext.#regions(type, space, bufSize, spare);
    const { struct, frame, l2 } = s;
    space.u8.set(data, frame.start + SKB_HEADROOM);
    s.data = frame.start + SKB_HEADROOM + (l2 ? 0 : ETH_HLEN);
    s.len = size - (l2 ? 0 : ETH_HLEN);
    const u8 = space.u8;
    u8.set(inCtx, struct.start);
    const v = space.view;
    const at = struct.start;
    v.setUint32(at + F.pkt_type, pktType(data), true);
    // skb->protocol is big-endian; the field reads it as stored.
    v.setUint32(at + F.protocol, ((protocol & 0xff) << 8) | (protocol >> 8), true);
    v.setUint32(at + F.ifindex, Math.max(ifindex, 1), true);
    // qdisc_skb_cb pkt_len: skb->len when ctx_in was converted (after a socket filter's pull);
    // without a ctx the kernel skips the conversion and it stays 0.
    if (ctx !== undefined && cv.getUint32(SkBuff.wire_len!, true) === 0)
      v.setUint32(at + F.wire_len, s.len, true);
    if (input.socket) s.#socket(protocol, data);
    s.sync();
    if (s.window !== undefined) space.show(s.window); // a spare's (no-op for a fresh window)
    return s;
  }

  /**
   * A context on fresh regions, or on the spare's: the struct shown again (create() writes all
   * of it), the buffer zeroed as a fresh one is when its size fits (else a fresh one), the
   * window still hidden until create() placed it.
   */
  static #regions(
    type: ProgTypeName,
    space: AddressSpace,
    bufSize: number,
    spare: SkbContext | undefined,
  ): SkbContext {
    let struct: Region;
    let sock: Region;
    if (spare !== undefined && spare.space === space && spare.type === type) {
      struct = spare.struct;
      sock = spare.sock;
      space.show(struct);
      if (spare.frame.size === bufSize) {
        const { frame } = spare;
        space.u8.fill(0, frame.start, frame.end);
        return new SkbContext(type, space, struct, sock, frame, spare.window);
      }
      space.release(spare.frame);
    } else {
      spare?.release();
      struct = space.allocate(`${type} __sk_buff`, SK_BUFF_SIZE, { kind: 'ctx' });
      sock = space.allocate(`${type} skb socket`, BPF_SOCK_SIZE, { kind: 'ctx', writable: false });
      space.hide(sock);
    }
    const frame = space.reserve(`${type} skb`, bufSize, { kind: 'packet' });
    const window = directAccess(type)
      ? space.mapWindow(frame, `${type} skb data`, frame.start, 0)
      : undefined;
    return new SkbContext(type, space, struct, sock, frame, window);
  }

  /**
   * The socket bpf_prog_test_run_skb gives the skb (sk_alloc + sock_init_data): closed, no type,
   * protocol, mark, ports or rx queue (-1); its family from the protocol and, for IPv4 and IPv6,
   * its addresses from the IP header (the packet's source is the local address). skb->sk points
   * at it as struct bpf_sock; cgroup skb's family and address fields of __sk_buff read it too.
   * Values as kernel 6.18 answers them (runtime/helpers/sock-kernel.test.ts).
   */
  #socket(protocol: number, frame: Uint8Array): void {
    const { space, sock } = this;
    space.show(sock);
    const u8 = space.u8;
    const v = space.view;
    const sk = sock.start;
    u8.fill(0, sk, sock.end);
    v.setUint32(sk + BpfSock.state, TCP_CLOSE, true);
    v.setInt32(sk + BpfSock.rx_queue_mapping, -1, true);
    const ip = frame.subarray(ETH_HLEN);
    if (protocol === ETH_P_IP) {
      v.setUint32(sk + BpfSock.family, AF_INET, true);
      u8.set(ip.subarray(12, 16), sk + BpfSock.src_ip4);
      u8.set(ip.subarray(16, 20), sk + BpfSock.dst_ip4);
    } else if (protocol === ETH_P_IPV6) {
      v.setUint32(sk + BpfSock.family, AF_INET6, true);
      u8.set(ip.subarray(8, 24), sk + BpfSock.src_ip6);
      u8.set(ip.subarray(24, 40), sk + BpfSock.dst_ip6);
    }
    this.sk = sk;
    const at = this.struct.start;
    v.setBigUint64(at + F.sk, BigInt(sk), true);
    for (const [field, from, size] of SK_BUFF_FROM_SOCK)
      u8.copyWithin(at + field, sk + from, sk + from + size);
  }

  /** Bytes between the buffer's start and skb->data (skb_headroom). */
  get headroom(): number {
    return this.data - this.frame.start;
  }

  /** Bytes after the data before the shared-info tailroom (skb_tailroom). */
  get tailroom(): number {
    return this.frame.end - SKB_SHARED_INFO_SIZE - (this.data + this.len);
  }

  /**
   * pskb_expand_head(): moves the data into a new buffer with at least `head` bytes of headroom
   * and `tail` of tailroom (the old buffer is unmapped, as the kernel frees it). Callers sync().
   */
  expand(head: number, tail: number): void {
    const h = Math.max(head, this.headroom);
    const t = Math.max(tail, this.tailroom);
    const size = h + Math.ceil((this.len + t) / 64) * 64 + SKB_SHARED_INFO_SIZE;
    const frame = this.space.reserve(`${this.type} skb`, size, { kind: 'packet' });
    // pskb_expand_head copies the headroom too: the metadata in front of the data moves along.
    const meta = Math.min(this.metaLen, h);
    this.space.u8.copyWithin(frame.start + h - meta, this.data - meta, this.data + this.len);
    this.space.release(this.frame);
    this.frame = frame;
    if (this.direct) this.window = this.space.mapWindow(frame, `${this.type} skb data`, frame.start, 0);
    this.data = frame.start + h;
  }

  /** Writes len and the packet pointers into __sk_buff (after a helper changed the skb). */
  sync(): void {
    const w = this.window;
    const meta = this.l2 ? this.metaLen : 0;
    if (w !== undefined && (w.start !== this.data - meta || w.size !== this.len + meta))
      this.space.moveWindow(w, this.data - meta, this.len + meta);
    const v = this.space.view;
    const at = this.struct.start;
    v.setUint32(at + F.len, this.len, true);
    const direct = this.direct;
    v.setUint32(at + F.data, direct ? this.data : 0, true);
    v.setUint32(at + F.data_end, direct ? this.data + this.len : 0, true);
    v.setUint32(at + F.data_meta, direct ? this.data - meta : 0, true);
  }

  /** data_out: the skb from the MAC header; without l2 it comes back with the MAC header zeroed. */
  output(): Uint8Array {
    if (this.l2) return this.space.u8.slice(this.data, this.data + this.len);
    const out = new Uint8Array(ETH_HLEN + this.len);
    out.set(this.space.u8.subarray(this.data, this.data + this.len), ETH_HLEN);
    return out;
  }

  /** ctx_out: ctx_in with the fields convert_skb_to___skb() reports. */
  outputCtx(ctxIn: Uint8Array | undefined): Uint8Array {
    const out = new Uint8Array(SK_BUFF_SIZE);
    if (ctxIn !== undefined) out.set(ctxIn.subarray(0, SK_BUFF_SIZE));
    const cur = this.space.u8.subarray(this.struct.start, this.struct.end);
    for (const f of ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'wire_len', 'gso_segs']) {
      out.set(cur.subarray(SkBuff[f]!, SkBuff[f]! + 4), SkBuff[f]!);
    }
    out.set(cur.subarray(SkBuff.cb!, SkBuff.cb! + 20), SkBuff.cb!);
    out.set(cur.subarray(SkBuff.tstamp!, SkBuff.tstamp! + 8), SkBuff.tstamp!);
    out.set(cur.subarray(SkBuff.hwtstamp!, SkBuff.hwtstamp! + 8), SkBuff.hwtstamp!);
    return out;
  }

  release(): void {
    this.space.release(this.struct);
    this.space.release(this.sock);
    this.space.release(this.frame);
  }

  /**
   * Unmaps the struct, the socket and the packet without freeing them, for create() to reuse: no program
   * reaches them meanwhile. The context must not be used again except as that spare.
   */
  park(): void {
    if (this.window !== undefined) this.space.hide(this.window);
    this.space.hide(this.struct);
    this.space.hide(this.sock);
  }
}
