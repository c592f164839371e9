// Reading a BPF_MAP_TYPE_RINGBUF from user space, over its mmapped pages (kernel/bpf/ringbuf.c
// layout): page 0 holds the consumer position (ours to write), page 1 the producer position,
// and the data area follows, mapped twice back to back so a record never wraps. Each record
// starts with an 8-byte header: u32 length with BPF_RINGBUF_BUSY_BIT (31: still being written)
// and BPF_RINGBUF_DISCARD_BIT (30: dropped by bpf_ringbuf_discard), then u32 page offset; the
// next record starts at round_up(length + 8, 8). Records are read in order and the consumer
// position advanced past each, discarded ones skipped; a busy record stops the read until it
// is committed. Waiting for data polls the map fd on a worker thread (readiness.ts).

import { BpfError, ClosedError, TsbpfError } from '../errors.js';
import { PAGE_SIZE } from '../uapi/page.js';
import { lastErrno, nativeView, netLibc, pointerAddress } from './libc-net.js';
import { nextReady, Readiness, untilClosed } from './readiness.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HDR_SZ = 8;
const MAP_FAILED = 0xffffffffffffffffn;

/** Anything holding a ring buffer map's fd (KernelMap, a collection's map). */
export interface RingBufferMap {
  readonly fd: number;
  readonly type?: string;
  readonly maxEntries?: number;
}

interface Mapping {
  readonly ptr: unknown;
  readonly len: number;
}

export class RingBufferReader implements AsyncIterable<Uint8Array>, AsyncDisposable {
  readonly #fd: number;
  readonly #size: number;
  readonly #mask: bigint;
  readonly #maps: Mapping[] = [];
  readonly #consumer: BigUint64Array;
  readonly #producer: BigUint64Array;
  readonly #data: DataView;
  readonly #bytes: Uint8Array;
  readonly #ready: Readiness;
  #closed = false;

  private constructor(fd: number, size: number) {
    this.#fd = fd;
    this.#size = size;
    this.#mask = BigInt(size - 1);
    const libc = netLibc();
    const map = (len: number, prot: number, offset: number): ArrayBuffer => {
      const ptr = libc.mmap(null, len, prot, MAP_SHARED, fd, BigInt(offset));
      if (ptr === null || pointerAddress(ptr) === MAP_FAILED)
        throw new BpfError('mmap(ringbuf)', lastErrno(), { subject: `map fd ${fd}` });
      this.#maps.push({ ptr, len });
      return nativeView(ptr, len);
    };
    try {
      this.#consumer = new BigUint64Array(map(PAGE_SIZE, PROT_READ | PROT_WRITE, 0), 0, 1);
      const producer = map(PAGE_SIZE + 2 * size, PROT_READ, PAGE_SIZE);
      this.#producer = new BigUint64Array(producer, 0, 1);
      this.#data = new DataView(producer, PAGE_SIZE);
      this.#bytes = new Uint8Array(producer, PAGE_SIZE);
      this.#ready = new Readiness([fd]);
    } catch (e) {
      this.#unmap();
      throw e;
    }
  }

  /**
   * A reader of the ring buffer map `map` (its data size is `maxEntries`, a power-of-2 multiple
   * of the page size). The map must stay open while the reader is used.
   */
  static open(map: RingBufferMap & { readonly maxEntries: number }): RingBufferReader {
    if (map.type !== undefined && map.type !== 'RINGBUF')
      throw new TsbpfError('INVALID_ARGUMENT', `a ${map.type} map is not a ring buffer (RINGBUF)`);
    const size = map.maxEntries;
    if (size < PAGE_SIZE || (size & (size - 1)) !== 0)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `ring buffer size ${size} is not a power of 2 of at least a page`,
      );
    return new RingBufferReader(map.fd, size);
  }

  /** Bytes written by the kernel and not yet consumed. */
  get pending(): number {
    this.#live();
    return Number(Atomics.load(this.#producer, 0) - Atomics.load(this.#consumer, 0));
  }

  /** The next committed record (a copy), or undefined when none is ready now. Never waits. */
  read(): Uint8Array | undefined {
    this.#live();
    for (;;) {
      const cons = Atomics.load(this.#consumer, 0);
      const prod = Atomics.load(this.#producer, 0);
      if (cons >= prod) return undefined;
      const at = Number(cons & this.#mask);
      const header = this.#data.getUint32(at, true);
      if ((header & BUSY_BIT) !== 0) return undefined; // reserved, not yet committed
      const len = header & ~(BUSY_BIT | DISCARD_BIT);
      const record =
        (header & DISCARD_BIT) !== 0 ? undefined : this.#bytes.slice(at + HDR_SZ, at + HDR_SZ + len);
      Atomics.store(this.#consumer, 0, cons + BigInt((len + HDR_SZ + 7) & ~7));
      if (record !== undefined) return record;
    }
  }

  /** Waits (off the event loop) until a record is ready and returns it; undefined once closed. */
  next(): Promise<Uint8Array | undefined> {
    return nextReady(
      () => this.read(),
      () => this.#closed,
      this.#ready,
    );
  }

  /** Every record in order, waiting for new ones, until close(). */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return untilClosed(() => this.next());
  }

  /** Ends any pending wait and unmaps the ring; the map's fd stays its owner's. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.close();
    this.#unmap();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #unmap(): void {
    const libc = netLibc();
    for (const m of this.#maps.splice(0)) libc.munmap(m.ptr, m.len);
  }

  #live(): void {
    if (this.#closed) throw new ClosedError(`ring buffer reader of map fd ${this.#fd}`);
  }

  /** Data area size in bytes. */
  get size(): number {
    return this.#size;
  }
}
