// Reading a BPF_MAP_TYPE_PERF_EVENT_ARRAY from user space, as libbpf's perf_buffer does: one
// perf event per CPU (perf_event_open: PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT,
// PERF_SAMPLE_RAW, a wake-up per sample), its fd stored in the map at the CPU's index, and its
// ring mmapped (a metadata page, then 2^n data pages). Records are read between data_tail
// (ours) and data_head (the kernel's) per CPU, copied out across the wrap; PERF_RECORD_SAMPLE
// gives the raw bytes (the kernel pads them so the record is 8-byte aligned), PERF_RECORD_LOST
// the number of samples dropped while the ring was full. Layouts: uapi <linux/perf_event.h>.

import koffi from 'koffi';
import { BpfError, ClosedError, NotSupportedError, TsbpfError } from '../errors.js';
import { Errno } from '../uapi/index.js';
import { PAGE_SIZE } from '../uapi/page.js';
import { lastErrno, nativeView, netLibc, pointerAddress } from './libc-net.js';
import { possibleCpuCount } from './map.js';
import { nextReady, Readiness, untilClosed } from './readiness.js';
import { closeFd } from './syscall.js';

/** __NR_perf_event_open: arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h. */
const SYS_PERF_EVENT_OPEN: Partial<Record<NodeJS.Architecture, number>> = { x64: 298, arm64: 241 };
const PERF_TYPE_SOFTWARE = 1;
const PERF_COUNT_SW_BPF_OUTPUT = 10;
const PERF_SAMPLE_RAW = 1n << 10n;
const PERF_FLAG_FD_CLOEXEC = 8;
const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;
const ATTR_SIZE = 128;
/** struct perf_event_mmap_page: data_head, data_tail, data_offset, data_size. */
const Meta = { head: 1024, tail: 1032 } as const;
const MAP_FAILED = 0xffffffffffffffffn;

export type PerfRecord =
  | { readonly cpu: number; readonly kind: 'sample'; readonly data: Uint8Array }
  | { readonly cpu: number; readonly kind: 'lost'; readonly lost: number };

interface CpuRing {
  readonly cpu: number;
  readonly fd: number;
  readonly ptr: unknown;
  readonly len: number;
  readonly meta: BigUint64Array;
  readonly data: Uint8Array;
}

type Syscall = (...args: unknown[]) => number | bigint;
let perfOpen: Syscall | undefined;

function openPerfEvent(cpu: number): number {
  const nr = SYS_PERF_EVENT_OPEN[process.arch];
  if (nr === undefined)
    throw new NotSupportedError('perf_event_open', `no syscall number known for ${process.arch}`);
  perfOpen ??= koffi.load('libc.so.6').func('long syscall(long number, ...)') as unknown as Syscall;
  const attr = new Uint8Array(ATTR_SIZE);
  const v = new DataView(attr.buffer);
  v.setUint32(0, PERF_TYPE_SOFTWARE, true);
  v.setUint32(4, ATTR_SIZE, true);
  v.setBigUint64(8, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
  v.setBigUint64(16, 1n, true); // sample_period
  v.setBigUint64(24, PERF_SAMPLE_RAW, true);
  v.setUint32(48, 1, true); // wakeup_events
  const fd = Number(
    perfOpen!(nr, 'void *', attr, 'int', -1, 'int', cpu, 'int', -1, 'unsigned long', PERF_FLAG_FD_CLOEXEC),
  );
  if (fd < 0) throw new BpfError('perf_event_open', koffi.errno(), { subject: `cpu ${cpu}` });
  return fd;
}

/** Anything holding a perf event array's fd, with an update for its slots (KernelMap, a collection's map). */
export interface PerfEventArray {
  readonly fd: number;
  readonly type?: string;
  update(key: Uint8Array, value: Uint8Array): void;
}

export class PerfBufferReader implements AsyncIterable<PerfRecord>, AsyncDisposable {
  readonly #rings: CpuRing[];
  readonly #ready: Readiness;
  #next = 0;
  #closed = false;

  private constructor(rings: CpuRing[]) {
    this.#rings = rings;
    this.#ready = new Readiness(rings.map((r) => r.fd));
  }

  /**
   * Opens a perf ring of `pagesPerCpu` data pages (a power of 2, default 8) on every online CPU
   * and stores each event's fd in `map` at that CPU's index. The map must stay open.
   */
  static open(map: PerfEventArray, options: { readonly pagesPerCpu?: number } = {}): PerfBufferReader {
    if (map.type !== undefined && map.type !== 'PERF_EVENT_ARRAY')
      throw new TsbpfError('INVALID_ARGUMENT', `a ${map.type} map is not a PERF_EVENT_ARRAY`);
    const pages = options.pagesPerCpu ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0)
      throw new TsbpfError('INVALID_ARGUMENT', `pagesPerCpu ${pages} is not a power of 2`);
    const libc = netLibc();
    const rings: CpuRing[] = [];
    try {
      for (let cpu = 0; cpu < possibleCpuCount(); cpu++) {
        let fd: number;
        try {
          fd = openPerfEvent(cpu);
        } catch (e) {
          if (e instanceof BpfError && e.errno === Errno.ENODEV) continue; // offline CPU
          throw e;
        }
        const len = (1 + pages) * PAGE_SIZE;
        const ptr = libc.mmap(null, len, 3, 1, fd, 0n); // PROT_READ|PROT_WRITE, MAP_SHARED
        if (ptr === null || pointerAddress(ptr) === MAP_FAILED) {
          const errno = lastErrno();
          closeFd(fd);
          throw new BpfError('mmap(perf)', errno, { subject: `cpu ${cpu}` });
        }
        const buf = nativeView(ptr, len);
        rings.push({
          cpu,
          fd,
          ptr,
          len,
          meta: new BigUint64Array(buf, 0, PAGE_SIZE / 8),
          data: new Uint8Array(buf, PAGE_SIZE, pages * PAGE_SIZE),
        });
        const key = new Uint8Array(4);
        const value = new Uint8Array(4);
        new DataView(key.buffer).setUint32(0, cpu, true);
        new DataView(value.buffer).setUint32(0, fd, true);
        map.update(key, value);
      }
      return new PerfBufferReader(rings);
    } catch (e) {
      for (const r of rings) {
        libc.munmap(r.ptr, r.len);
        closeFd(r.fd);
      }
      throw e;
    }
  }

  /** The next record of any CPU (CPUs taken in turn; each CPU's records in order), or undefined. */
  read(): PerfRecord | undefined {
    if (this.#closed) throw new ClosedError('perf buffer reader');
    for (let k = 0; k < this.#rings.length; k++) {
      const ring = this.#rings[(this.#next + k) % this.#rings.length]!;
      const rec = readOne(ring);
      if (rec !== undefined) {
        this.#next = (this.#next + k + 1) % this.#rings.length;
        return rec;
      }
    }
    return undefined;
  }

  /** Waits (off the event loop) for the next record; undefined once closed. */
  next(): Promise<PerfRecord | undefined> {
    return nextReady(
      () => this.read(),
      () => this.#closed,
      this.#ready,
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<PerfRecord> {
    return untilClosed(() => this.next());
  }

  /** Ends a pending wait, unmaps the rings and closes the perf events (their map slots empty). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.close();
    const libc = netLibc();
    for (const r of this.#rings) {
      libc.munmap(r.ptr, r.len);
      closeFd(r.fd);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** `n` bytes of the ring at logical position `pos`, copied across the wrap. */
function copyOut(ring: CpuRing, pos: bigint, n: number): Uint8Array {
  const size = ring.data.length;
  const at = Number(pos % BigInt(size));
  const out = new Uint8Array(n);
  const first = Math.min(n, size - at);
  out.set(ring.data.subarray(at, at + first));
  if (first < n) out.set(ring.data.subarray(0, n - first), first);
  return out;
}

function readOne(ring: CpuRing): PerfRecord | undefined {
  for (;;) {
    const head = Atomics.load(ring.meta, Meta.head / 8);
    const tail = Atomics.load(ring.meta, Meta.tail / 8);
    if (tail >= head) return undefined;
    const header = new DataView(copyOut(ring, tail, 8).buffer);
    const type = header.getUint32(0, true);
    const size = header.getUint16(6, true);
    const body = copyOut(ring, tail + 8n, size - 8);
    Atomics.store(ring.meta, Meta.tail / 8, tail + BigInt(size));
    const v = new DataView(body.buffer);
    if (type === PERF_RECORD_SAMPLE) {
      const len = v.getUint32(0, true);
      return { cpu: ring.cpu, kind: 'sample', data: body.slice(4, 4 + len) };
    }
    if (type === PERF_RECORD_LOST)
      return { cpu: ring.cpu, kind: 'lost', lost: Number(v.getBigUint64(8, true)) };
    // Other record types are not asked for; skip them.
  }
}
