// The XDP context of a test run: a 4 KiB frame (PAGE_SIZE, as BPF_PROG_TEST_RUN allocates it)
// with XDP_PACKET_HEADROOM before the data and the skb_shared_info tailroom after, plus
// fragments for data past the linear part (multi-buffer XDP). `struct xdp_md` holds the real
// addresses of data/data_end/data_meta, so program loads of them need no rewriting. The frame
// is a reservation: programs may touch only the window [data_meta, data_end), which sync()
// moves with the pointers; headroom, tailroom and fragments are reached by helpers only.
// Input checks and sizes follow net/bpf/test_run.c (bpf_prog_test_run_xdp) as kernel 6.18 answers.

import { NotSupportedError } from '../../errors.js';
import { XDP_MD_SIZE, XdpMd } from '../../uapi/context.js';
import { Errno } from '../../uapi/errno.js';
import { ETH_HLEN } from '../../uapi/ethernet.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { AddressSpace, Region } from '../memory.js';
import { MAX_SKB_FRAGS, type ProgramContext, SKB_SHARED_INFO_SIZE, TestRunRefusal } from './types.js';

/** XDP_PACKET_HEADROOM (include/uapi/linux/bpf.h). */
export const XDP_PACKET_HEADROOM = 256;
/** sizeof(struct xdp_frame) on x86-64: the start of the headroom helpers never hand out. */
export const XDP_FRAME_SIZE = 40;
/** BPF_F_TEST_XDP_LIVE_FRAMES. */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 2;

/** The interfaces a VM knows (ifindex -> rx queue count); the loopback device is ifindex 1. */
export type Interfaces = ReadonlyMap<number, number>;
export const LOOPBACK_ONLY: Interfaces = new Map([[1, 1]]);

/** The xdp_md offsets sync() writes on every run, looked up once. */
const F = {
  data: XdpMd.data!,
  data_end: XdpMd.data_end!,
  data_meta: XdpMd.data_meta!,
  ingress_ifindex: XdpMd.ingress_ifindex!,
  rx_queue_index: XdpMd.rx_queue_index!,
  egress_ifindex: XdpMd.egress_ifindex!,
} as const;

/** What metadata() returns when there is none: empty, so nothing can be written into it. */
const NO_METADATA = new Uint8Array(0);

/** Room of a refilled frame from data (at XDP_PACKET_HEADROOM) to the tailroom; the rest goes to fragments. */
const MAX_LINEAR = PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE;

/** A scratch copy of ctx_in, made once rather than per run. */
const IN_CTX = new Uint8Array(XDP_MD_SIZE);
const IN_VIEW = new DataView(IN_CTX.buffer);

export interface XdpInput {
  readonly data: Uint8Array;
  /** ctx_in bytes (undefined: none; zeros when only ctx_out was asked for). */
  readonly ctx: Uint8Array | undefined;
  readonly flags: number;
  readonly interfaces: Interfaces;
}

export class XdpContext implements ProgramContext {
  readonly kind = 'xdp_md';
  readonly type: ProgTypeName;
  readonly struct: Region;
  /** The whole frame, reserved (not accessible itself). */
  readonly frame: Region;
  /** The accessible packet [data_meta, data_end), a window of the frame. */
  readonly window: Region;
  readonly space: AddressSpace;
  /** Absolute addresses in the frame. */
  dataMeta: number;
  data: number;
  dataEnd: number;
  /** Bytes past the linear part, one page per fragment (the program reaches them by helper only). */
  readonly frags: Uint8Array[];
  ingressIfindex: number;
  rxQueueIndex: number;
  /** xdp_md->egress_ifindex: set for programs a devmap entry runs (0 elsewhere). */
  egressIfindex = 0;
  /**
   * The lowest byte the packet window has started at since refill() last zeroed the headroom:
   * bytes below it were never accessible, so they are still zero (the first refill zeroes all).
   */
  #low: number;
  /**
   * What struct xdp_md holds now (sync() wrote it; -1: not yet), so that a refill writes only
   * the fields that changed: a data path's slot keeps its device and queue, and a frame of the
   * same length leaves every field as it was. Only sync() writes the struct (programs cannot).
   */
  #mdData = -1;
  #mdDataEnd = -1;
  #mdDataMeta = -1;
  #mdIngress = -1;
  #mdQueue = -1;
  #mdEgress = -1;
  /** Where data starts in a refilled frame without metadata (XDP_PACKET_HEADROOM into it). */
  readonly #plainAt: number;
  /**
   * The length of the frame when sync() last found it usual (see #plain; -1: not usual), so that
   * a refill checks one field rather than the pointers, the headroom mark, frags and egress.
   * Whatever moves the pointers, frags or ifindexes calls sync() (the struct must follow).
   */
  #plainLen = -1;

  private constructor(
    type: ProgTypeName,
    space: AddressSpace,
    struct: Region,
    frame: Region,
    window: Region,
  ) {
    this.type = type;
    this.space = space;
    this.struct = struct;
    this.frame = frame;
    this.window = window;
    this.dataMeta = this.data = this.dataEnd = frame.start;
    this.#low = frame.start;
    this.#plainAt = frame.start + XDP_PACKET_HEADROOM;
    this.frags = [];
    this.ingressIfindex = 1;
    this.rxQueueIndex = 0;
  }

  /**
   * Builds the frame for `input`, or returns the kernel's refusal. `spare`: a context park()
   * left in the same space, whose regions the new one takes, zeroed as fresh ones are (so the
   * result is the same byte for byte); it is spent when a context is returned, untouched when
   * the input is refused.
   */
  static create(
    type: ProgTypeName,
    space: AddressSpace,
    input: XdpInput,
    spare?: XdpContext,
  ): XdpContext | TestRunRefusal {
    const { data, ctx } = input;
    if (input.flags & BPF_F_TEST_XDP_LIVE_FRAMES) throw new NotSupportedError('BPF_F_TEST_XDP_LIVE_FRAMES');
    if (input.flags !== 0) return new TestRunRefusal(Errno.EINVAL, `flags 0x${input.flags.toString(16)}`);
    const size = data.length;
    let meta = 0;
    let linear = size;
    let ingress = 1;
    let queue = 0;
    if (ctx !== undefined) {
      // create() does not nest: one scratch copy serves every call.
      const full = IN_CTX;
      const v = IN_VIEW;
      full.fill(0);
      full.set(ctx.subarray(0, XDP_MD_SIZE));
      const u32 = (off: number) => v.getUint32(off, true);
      // bpf_ctx_init(): ctx_in bytes beyond the struct must be zero.
      if (ctx.some((b, k) => k >= XDP_MD_SIZE && b !== 0)) return new TestRunRefusal(Errno.E2BIG, 'ctx tail');
      meta = u32(XdpMd.data!);
      linear = u32(XdpMd.data_end!);
      // No user data before the metadata; data_end is the linear size (the rest goes to frags).
      if (u32(XdpMd.data_meta!) !== 0 || linear > size || meta > linear) {
        return new TestRunRefusal(Errno.EINVAL, 'xdp_md data/data_end/data_meta');
      }
      // Metadata: 4-byte multiples that leave room for struct xdp_frame in the headroom.
      if (meta % 4 !== 0 || meta > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE) {
        return new TestRunRefusal(Errno.EINVAL, `metadata of ${meta} bytes`);
      }
      if (u32(XdpMd.egress_ifindex!) !== 0) return new TestRunRefusal(Errno.EINVAL, 'egress_ifindex');
      ingress = u32(XdpMd.ingress_ifindex!);
      queue = u32(XdpMd.rx_queue_index!);
      if (ingress === 0 && queue !== 0)
        return new TestRunRefusal(Errno.EINVAL, 'rx_queue_index without ifindex');
      if (ingress !== 0) {
        const queues = input.interfaces.get(ingress);
        if (queues === undefined) return new TestRunRefusal(Errno.ENODEV, `no interface ${ingress}`);
        if (queue >= queues) return new TestRunRefusal(Errno.EINVAL, `rx queue ${queue}`);
      } else ingress = 1;
    }
    if (size < ETH_HLEN) return new TestRunRefusal(Errno.EINVAL, `${size}-byte frame`);
    const headroom = XDP_PACKET_HEADROOM - meta;
    const maxLinear = PAGE_SIZE - headroom - SKB_SHARED_INFO_SIZE;
    linear = Math.min(linear, maxLinear);
    const fragBytes = size - linear;
    if (Math.ceil(fragBytes / PAGE_SIZE) > MAX_SKB_FRAGS)
      return new TestRunRefusal(Errno.ENOMEM, 'too many frags');
    const x = XdpContext.#regions(type, space, spare);
    const { frame } = x;
    x.dataMeta = frame.start + headroom;
    x.data = x.dataMeta + meta;
    x.dataEnd = x.dataMeta + linear;
    space.u8.set(linear === size ? data : data.subarray(0, linear), x.dataMeta);
    for (let at = linear; at < size; at += PAGE_SIZE)
      x.frags.push(data.slice(at, Math.min(size, at + PAGE_SIZE)));
    x.ingressIfindex = ingress;
    x.rxQueueIndex = queue;
    x.sync();
    space.show(x.window); // a spare's (no-op for a fresh window)
    return x;
  }

  /**
   * A context on fresh regions, or on the spare's: the struct shown again, struct and frame
   * zeroed as fresh ones are, the window still hidden until create() placed it (one table update).
   */
  static #regions(type: ProgTypeName, space: AddressSpace, spare: XdpContext | undefined): XdpContext {
    if (spare !== undefined && spare.space === space && spare.type === type) {
      const { struct, frame } = spare;
      space.show(struct);
      space.u8.fill(0, struct.start, struct.end);
      space.u8.fill(0, frame.start, frame.end);
      return new XdpContext(type, space, struct, frame, spare.window);
    }
    spare?.release();
    const struct = space.allocate(`${type} xdp_md`, XDP_MD_SIZE, { kind: 'ctx', writable: false });
    const frame = space.reserve(`${type} frame`, PAGE_SIZE, { kind: 'packet' });
    const window = space.mapWindow(frame, `${type} packet`, frame.start, 0);
    return new XdpContext(type, space, struct, frame, window);
  }

  /** data_hard_start: the frame's first byte. */
  get hardStart(): number {
    return this.frame.start;
  }
  /** xdp_data_hard_end(): the frame end minus the shared-info tailroom. */
  get hardEnd(): number {
    return this.frame.start + PAGE_SIZE - SKB_SHARED_INFO_SIZE;
  }
  get fragsSize(): number {
    let n = 0;
    for (const f of this.frags) n += f.length;
    return n;
  }
  /** xdp_get_buff_len(): linear plus fragment bytes. */
  get length(): number {
    return this.dataEnd - this.data + this.fragsSize;
  }

  /** Writes the packet pointers into struct xdp_md and moves the packet window (after a helper moved them). */
  sync(): void {
    const { window, dataMeta, data, dataEnd } = this;
    if (window.start !== dataMeta || window.end !== dataEnd)
      this.space.moveWindow(window, dataMeta, dataEnd - dataMeta);
    if (dataMeta < this.#low) this.#low = dataMeta;
    const plain = this.#plainAt;
    this.#plainLen =
      data === plain && this.#low === plain && this.frags.length === 0 && this.egressIfindex === 0
        ? dataEnd - plain
        : -1;
    if (
      data === this.#mdData &&
      dataEnd === this.#mdDataEnd &&
      dataMeta === this.#mdDataMeta &&
      this.ingressIfindex === this.#mdIngress &&
      this.rxQueueIndex === this.#mdQueue &&
      this.egressIfindex === this.#mdEgress
    )
      return;
    const v = this.space.view;
    const s = this.struct.start;
    this.#mdData = data;
    this.#mdDataEnd = dataEnd;
    this.#mdDataMeta = dataMeta;
    this.#mdIngress = this.ingressIfindex;
    this.#mdQueue = this.rxQueueIndex;
    this.#mdEgress = this.egressIfindex;
    v.setUint32(s + F.data, data, true);
    v.setUint32(s + F.data_end, dataEnd, true);
    v.setUint32(s + F.data_meta, dataMeta, true);
    v.setUint32(s + F.ingress_ifindex, this.ingressIfindex, true);
    v.setUint32(s + F.rx_queue_index, this.rxQueueIndex, true);
    v.setUint32(s + F.egress_ifindex, this.egressIfindex, true);
  }

  /**
   * Whether a frame of `size` bytes from `ingress`/`queue` is the usual frame of a slot: no
   * metadata, linear, as long as the last one, which the program moved nothing of (so no
   * headroom byte was reachable: #low, hence data_meta too), no egress ifindex, from the same
   * device and queue: then only the bytes change (struct xdp_md, the window and the table
   * already hold it). sync() worked out all but the size and the device.
   */
  #plain(size: number, ingress: number, queue: number): boolean {
    return this.#plainLen === size && this.ingressIfindex === ingress && this.rxQueueIndex === queue;
  }

  /**
   * refill() of `contexts[k]` (all in one space) with `frames[at + k]` for k < n, as a NAPI
   * poll fills its batch: the space's byte view fetched once, usual frames copied without a
   * call. Returns the bytes of the frames.
   */
  static refillAll(
    contexts: readonly XdpContext[],
    frames: readonly { readonly data: Uint8Array }[],
    at: number,
    n: number,
    ingress: number,
    queue: number,
  ): number {
    if (n === 0) return 0;
    let u8 = contexts[0]!.space.u8;
    let bytes = 0;
    for (let k = 0; k < n; k++) {
      const c = contexts[k]!;
      const data = frames[at + k]!.data;
      bytes += data.length;
      if (c.#plain(data.length, ingress, queue)) u8.set(data, c.#plainAt);
      else {
        c.refill(data, ingress, queue);
        u8 = c.space.u8;
      }
    }
    return bytes;
  }

  /**
   * Reuses the context for the next frame of a data path (a device's RX slot), as a driver
   * reuses its page: `data` at XDP_PACKET_HEADROOM less `metadata` (placed before it), bytes past
   * the linear limit in fragments. Only the headroom is zeroed (the rest of the page is never
   * readable before it is written), so nothing of the previous frame shows; and of it only what
   * the windows since the last refill reached (below that it is still zero). Per frame this is
   * the copy of the bytes and, usually, nothing else: struct xdp_md is written only where it
   * changed (sync()).
   */
  refill(data: Uint8Array, ingress: number, queue: number, metadata?: Uint8Array): void {
    if (metadata === undefined && this.#plain(data.length, ingress, queue)) {
      this.space.u8.set(data, this.#plainAt);
      return;
    }
    const size = data.length;
    const meta = metadata === undefined ? 0 : metadata.length;
    const top = this.#plainAt - meta;
    // data stays at XDP_PACKET_HEADROOM (the metadata is in the headroom): the linear room is
    // the same with or without it.
    const linear = size < MAX_LINEAR ? size : MAX_LINEAR;
    const u8 = this.space.u8;
    const low = this.#low < this.dataMeta ? this.#low : this.dataMeta;
    if (low < top) u8.fill(0, low, top);
    this.#low = top;
    this.dataMeta = top;
    this.data = top + meta;
    this.dataEnd = top + meta + linear;
    if (meta > 0) u8.set(metadata!, top);
    u8.set(linear === size ? data : data.subarray(0, linear), top + meta);
    const frags = this.frags;
    if (frags.length !== 0) frags.length = 0; // setting length is a builtin call
    for (let at = linear; at < size; at += PAGE_SIZE)
      frags.push(data.slice(at, Math.min(size, at + PAGE_SIZE)));
    this.ingressIfindex = ingress;
    this.rxQueueIndex = queue;
    this.egressIfindex = 0;
    this.sync();
  }

  /** The packet [data, data_end) followed by the fragments: what goes on the wire. */
  packet(): Uint8Array {
    return this.linearFrom(this.data);
  }

  /** The metadata [data_meta, data) (a copy; when there is none, one shared empty array). */
  metadata(): Uint8Array {
    return this.data === this.dataMeta ? NO_METADATA : this.space.u8.slice(this.dataMeta, this.data);
  }

  /** data_out: from data_meta to data_end, then the fragments. */
  output(): Uint8Array {
    return this.linearFrom(this.dataMeta);
  }

  /** A copy of [start, data_end) followed by the fragments. */
  private linearFrom(start: number): Uint8Array {
    const linear = this.space.u8.slice(start, this.dataEnd);
    if (this.frags.length === 0) return linear;
    const out = new Uint8Array(linear.length + this.fragsSize);
    out.set(linear);
    let at = linear.length;
    for (const f of this.frags) {
      out.set(f, at);
      at += f.length;
    }
    return out;
  }

  /** ctx_out: xdp_convert_buff_to_md() offsets relative to data_meta; the rest as given. */
  outputCtx(ctxIn: Uint8Array | undefined): Uint8Array {
    const out = new Uint8Array(XDP_MD_SIZE);
    if (ctxIn !== undefined) out.set(ctxIn.subarray(0, XDP_MD_SIZE));
    const v = new DataView(out.buffer);
    v.setUint32(XdpMd.data!, this.data - this.dataMeta, true);
    v.setUint32(XdpMd.data_end!, this.dataEnd - this.dataMeta, true);
    return out;
  }

  release(): void {
    this.space.release(this.struct);
    this.space.release(this.frame);
  }

  /**
   * Unmaps the struct and the packet without freeing them, for create() to reuse: no program
   * reaches them meanwhile. The context must not be used again except as that spare.
   */
  park(): void {
    this.space.hide(this.window);
    this.space.hide(this.struct);
  }
}
