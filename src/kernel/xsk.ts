// Real AF_XDP sockets: socket(AF_XDP), the UMEM registered with XDP_UMEM_REG, the four ring sizes,
// XDP_MMAP_OFFSETS and an mmap per ring, bind to (ifindex, queue) — the same AfXdpSocket as the
// simulation (net/afxdp), with the same ring classes over the kernel's shared memory. The UMEM is
// a page-aligned window of a JavaScript ArrayBuffer (the kernel pins its pages), so user code keeps
// a safe view of it; the rings are mmapped and cut from their views before munmap. Put the socket
// in an xskmap under its fd for a program's bpf_redirect_map to reach it.

import { BpfError, TsbpfError } from '../errors.js';
import { ConsumerRing, ProducerRing, type RingLayout } from '../runtime/xsk/ring.js';
import {
  type AfXdpSocket,
  DEFAULT_RING_SIZE,
  type UmemArea,
  type XdpStatistics,
  type XskRingSizes,
} from '../runtime/xsk/socket.js';
import { checkUmemConfig, type UmemConfig, type UmemGeometry } from '../runtime/xsk/umem.js';
import {
  AF_XDP,
  MmapOffsets,
  SOL_XDP,
  SockaddrXdp,
  UmemReg,
  XDP_ADDR_SIZE,
  XDP_COPY,
  XDP_DESC_SIZE,
  XDP_PGOFF_RX_RING,
  XDP_PGOFF_TX_RING,
  XDP_STATISTICS_FIELDS,
  XDP_STATISTICS_SIZE,
  XDP_UMEM_PGOFF_COMPLETION_RING,
  XDP_UMEM_PGOFF_FILL_RING,
  XDP_USE_NEED_WAKEUP,
  XDP_ZEROCOPY,
  XdpSockopt,
} from '../uapi/if-xdp.js';
import { PAGE_SIZE } from '../uapi/page.js';
import { FdHandle } from './fd.js';
import { check, lastErrno, nativeView, netLibc, pointerAddress } from './libc-net.js';
import { waitReadable } from './packet-socket.js';
import { addressOf, closeFd, pinned } from './syscall.js';

const SOCK_RAW = 3;
const PROT_RW = 0x1 | 0x2;
const MAP_SHARED_POPULATE = 0x01 | 0x8000;
const MSG_DONTWAIT = 0x40;
/** sendto's answers that mean "busy, try again" (libxdp's kick ignores them). */
const BUSY = new Set([11 /* EAGAIN */, 16 /* EBUSY */, 105 /* ENOBUFS */, 100 /* ENETDOWN */]);
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

export interface KernelXskOptions extends XskRingSizes {
  readonly umem: UmemConfig;
  /** The device (in the calling thread's network namespace) and its RX/TX queue. */
  readonly ifindex: number;
  readonly queue: number;
  /** XDP_COPY (default, what a veth offers), XDP_ZEROCOPY, or 'auto' (the kernel chooses). */
  readonly mode?: 'copy' | 'zerocopy' | 'auto';
  /** XDP_USE_NEED_WAKEUP. */
  readonly needWakeup?: boolean;
}

/** A UMEM in JavaScript memory at a page-aligned address, as XDP_UMEM_REG requires. */
class JsUmem implements UmemArea {
  readonly geometry: UmemGeometry;
  readonly bytes: Uint8Array;
  readonly address: bigint;

  constructor(geometry: UmemGeometry) {
    this.geometry = geometry;
    const whole = pinned(geometry.size + PAGE_SIZE);
    const base = addressOf(whole);
    const skip = Number((BigInt(PAGE_SIZE) - (base % BigInt(PAGE_SIZE))) % BigInt(PAGE_SIZE));
    this.bytes = whole.subarray(skip, skip + geometry.size);
    this.address = base + BigInt(skip);
  }
}

interface Mapping {
  readonly ptr: unknown;
  readonly len: number;
}

function u32(v: number): Uint8Array {
  const b = pinned(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

export class KernelXskSocket extends FdHandle implements AfXdpSocket {
  readonly umem: UmemArea;
  readonly ifindex: number;
  readonly queue: number;
  readonly fill: ProducerRing;
  readonly completion: ConsumerRing;
  readonly rx: ConsumerRing;
  readonly tx: ProducerRing;
  protected readonly what: string;
  readonly #maps: Mapping[];

  private constructor(
    fd: number,
    o: KernelXskOptions,
    umem: UmemArea,
    rings: { fill: ProducerRing; completion: ConsumerRing; rx: ConsumerRing; tx: ProducerRing },
    maps: Mapping[],
  ) {
    super(fd);
    this.umem = umem;
    this.ifindex = o.ifindex;
    this.queue = o.queue;
    this.fill = rings.fill;
    this.completion = rings.completion;
    this.rx = rings.rx;
    this.tx = rings.tx;
    this.#maps = maps;
    this.what = `AF_XDP socket on ifindex ${o.ifindex} queue ${o.queue}`;
  }

  /**
   * Creates, maps and binds an AF_XDP socket in the calling thread's network namespace. A refusal
   * is a BpfError whose op names the step (`socket(AF_XDP)`, `XDP_UMEM_REG`, `bind(AF_XDP)`, ...).
   */
  static create(o: KernelXskOptions): KernelXskSocket {
    const geometry = checkUmemConfig(o.umem);
    const sizes = {
      fill: o.fillSize ?? DEFAULT_RING_SIZE,
      completion: o.completionSize ?? DEFAULT_RING_SIZE,
      rx: o.rxSize ?? DEFAULT_RING_SIZE,
      tx: o.txSize ?? DEFAULT_RING_SIZE,
    };
    const libc = netLibc();
    const fd = check('socket(AF_XDP)', libc.socket(AF_XDP, SOCK_RAW, 0));
    const maps: Mapping[] = [];
    try {
      const umem = new JsUmem(geometry);
      const reg = pinned(UmemReg.size);
      const rv = new DataView(reg.buffer);
      rv.setBigUint64(UmemReg.addr, umem.address, true);
      rv.setBigUint64(UmemReg.len, BigInt(geometry.size), true);
      rv.setUint32(UmemReg.chunk_size, geometry.chunkSize, true);
      rv.setUint32(UmemReg.headroom, geometry.headroom, true);
      check('XDP_UMEM_REG', libc.setsockopt(fd, SOL_XDP, XdpSockopt.UMEM_REG, reg, UmemReg.size));
      const sizeOpts: [string, number, number][] = [
        ['XDP_UMEM_FILL_RING', XdpSockopt.UMEM_FILL_RING, sizes.fill],
        ['XDP_UMEM_COMPLETION_RING', XdpSockopt.UMEM_COMPLETION_RING, sizes.completion],
        ['XDP_RX_RING', XdpSockopt.RX_RING, sizes.rx],
        ['XDP_TX_RING', XdpSockopt.TX_RING, sizes.tx],
      ];
      for (const [op, opt, n] of sizeOpts) check(op, libc.setsockopt(fd, SOL_XDP, opt, u32(n), 4));
      const off = pinned(MmapOffsets.size);
      check(
        'XDP_MMAP_OFFSETS',
        libc.getsockopt(fd, SOL_XDP, XdpSockopt.MMAP_OFFSETS, off, [MmapOffsets.size]),
      );
      const ov = new DataView(off.buffer);
      const layoutAt = (base: number): RingLayout => ({
        producer: Number(ov.getBigUint64(base, true)),
        consumer: Number(ov.getBigUint64(base + 8, true)),
        desc: Number(ov.getBigUint64(base + 16, true)),
        flags: Number(ov.getBigUint64(base + 24, true)),
      });
      const ring = (name: string, base: number, pgoff: bigint, size: number, entry: number) => {
        const layout = layoutAt(base);
        const len = layout.desc + size * entry;
        const ptr = libc.mmap(null, len, PROT_RW, MAP_SHARED_POPULATE, fd, pgoff);
        if (ptr === null || pointerAddress(ptr) === MAP_FAILED)
          throw new BpfError(`mmap(${name})`, lastErrno());
        maps.push({ ptr, len });
        return { view: new DataView(nativeView(ptr, len)), layout };
      };
      const f = ring('FILL', MmapOffsets.fr, XDP_UMEM_PGOFF_FILL_RING, sizes.fill, XDP_ADDR_SIZE);
      const c = ring(
        'COMPLETION',
        MmapOffsets.cr,
        XDP_UMEM_PGOFF_COMPLETION_RING,
        sizes.completion,
        XDP_ADDR_SIZE,
      );
      const r = ring('RX', MmapOffsets.rx, XDP_PGOFF_RX_RING, sizes.rx, XDP_DESC_SIZE);
      const t = ring('TX', MmapOffsets.tx, XDP_PGOFF_TX_RING, sizes.tx, XDP_DESC_SIZE);
      const rings = {
        fill: new ProducerRing(f.view, f.layout, sizes.fill, XDP_ADDR_SIZE),
        completion: new ConsumerRing(c.view, c.layout, sizes.completion, XDP_ADDR_SIZE),
        rx: new ConsumerRing(r.view, r.layout, sizes.rx, XDP_DESC_SIZE),
        tx: new ProducerRing(t.view, t.layout, sizes.tx, XDP_DESC_SIZE),
      };
      const mode = o.mode ?? 'copy';
      const flags =
        (mode === 'copy' ? XDP_COPY : mode === 'zerocopy' ? XDP_ZEROCOPY : 0) |
        (o.needWakeup === true ? XDP_USE_NEED_WAKEUP : 0);
      const sa = pinned(SockaddrXdp.size);
      const sv = new DataView(sa.buffer);
      sv.setUint16(SockaddrXdp.family, AF_XDP, true);
      sv.setUint16(SockaddrXdp.flags, flags, true);
      sv.setUint32(SockaddrXdp.ifindex, o.ifindex >>> 0, true);
      sv.setUint32(SockaddrXdp.queue_id, o.queue >>> 0, true);
      check('bind(AF_XDP)', libc.bind(fd, sa, SockaddrXdp.size), `ifindex ${o.ifindex} queue ${o.queue}`);
      return new KernelXskSocket(fd, o, umem, rings, maps);
    } catch (e) {
      for (const m of maps) libc.munmap(m.ptr, m.len);
      closeFd(fd);
      throw e;
    }
  }

  kick(): void {
    const r = Number(netLibc().sendto(this.fd, null, 0, MSG_DONTWAIT, null, 0));
    if (r < 0) {
      const errno = lastErrno();
      if (!BUSY.has(errno)) throw new BpfError('sendto(AF_XDP)', errno);
    }
  }

  poll(timeoutMs: number): number {
    const ready = this.rx.nbAvail(this.rx.size);
    if (ready > 0 || timeoutMs <= 0) return ready;
    waitReadable(this.fd, timeoutMs);
    return this.rx.nbAvail(this.rx.size);
  }

  statistics(): XdpStatistics {
    const buf = pinned(XDP_STATISTICS_SIZE);
    const len = [XDP_STATISTICS_SIZE];
    check('XDP_STATISTICS', netLibc().getsockopt(this.fd, SOL_XDP, XdpSockopt.STATISTICS, buf, len));
    if (len[0] !== XDP_STATISTICS_SIZE)
      throw new TsbpfError('BPF_ERROR', `XDP_STATISTICS gave ${len[0]} bytes, not ${XDP_STATISTICS_SIZE}`);
    const v = new DataView(buf.buffer);
    const out: Record<string, number> = {};
    XDP_STATISTICS_FIELDS.forEach((name, k) => {
      out[name] = Number(v.getBigUint64(k * 8, true));
    });
    return out as unknown as XdpStatistics;
  }

  /** Unmaps the rings (they throw RangeError from now on) and closes the socket. */
  override close(): void {
    if (this.closed) return;
    for (const r of [this.fill, this.completion, this.rx, this.tx]) r.detach();
    const libc = netLibc();
    for (const m of this.#maps.splice(0)) libc.munmap(m.ptr, m.len);
    super.close();
  }
}
