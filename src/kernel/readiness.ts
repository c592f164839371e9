// Waiting for fds (ring buffer maps, perf events) to become readable without blocking Node's
// event loop: poll(2) runs through koffi's async call on a libuv worker thread and resolves a
// promise. An eventfd sits in every poll set so that close() wakes the waiting thread at once
// instead of leaving it blocked. Each pending wait occupies one libuv pool thread (4 by default,
// UV_THREADPOOL_SIZE), so a reader waits for all its fds in one poll.

import koffi, { type LibraryHandle } from 'koffi';
import { BpfError, NotSupportedError } from '../errors.js';

const POLLIN = 0x1;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const POLLFD = 8; // struct pollfd { int fd; short events; short revents; }

interface AsyncFn {
  (...args: unknown[]): number;
  async(...args: unknown[]): void;
}

interface WaitLibc {
  readonly poll: AsyncFn;
  readonly eventfd: (initval: number, flags: number) => number;
  readonly write: (fd: number, buf: Uint8Array, len: number) => number;
  readonly read: (fd: number, buf: Uint8Array, len: number) => number;
  readonly close: (fd: number) => number;
}

let bound: WaitLibc | undefined;

function libc(): WaitLibc {
  if (bound !== undefined) return bound;
  let lib: LibraryHandle;
  try {
    lib = koffi.load('libc.so.6');
  } catch (e) {
    throw new NotSupportedError('readiness waits', `cannot load libc.so.6: ${(e as Error).message}`);
  }
  bound = {
    poll: lib.func('int poll(void *fds, unsigned long nfds, int timeout)') as unknown as AsyncFn,
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)') as WaitLibc['eventfd'],
    write: lib.func('intptr_t write(int fd, void *buf, size_t len)') as WaitLibc['write'],
    read: lib.func('intptr_t read(int fd, _Out_ void *buf, size_t len)') as WaitLibc['read'],
    close: lib.func('int close(int fd)') as WaitLibc['close'],
  };
  return bound;
}

/** A reusable waiter over a fixed set of fds. */
export class Readiness {
  readonly #fds: Uint8Array;
  readonly #count: number;
  readonly #wakeFd: number;
  #pending: Promise<number[]> | undefined;
  #closed = false;

  constructor(fds: readonly number[]) {
    const c = libc();
    this.#wakeFd = c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (this.#wakeFd < 0) throw new BpfError('eventfd', koffi.errno());
    this.#count = fds.length + 1;
    this.#fds = new Uint8Array(new ArrayBuffer(this.#count * POLLFD));
    const v = new DataView(this.#fds.buffer);
    [...fds, this.#wakeFd].forEach((fd, k) => {
      v.setInt32(k * POLLFD, fd, true);
      v.setInt16(k * POLLFD + 4, POLLIN, true);
    });
  }

  /**
   * Resolves with the indexes (into the constructor's fds) that are readable, after at most
   * `timeoutMs` (-1: no limit); [] when woken by wake()/close() or timed out. One wait at a time.
   */
  wait(timeoutMs = -1): Promise<number[]> {
    if (this.#closed) return Promise.resolve([]);
    if (this.#pending !== undefined) throw new Error('Readiness.wait: a wait is already pending');
    const fds = this.#fds;
    const p = new Promise<number[]>((resolve, reject) => {
      libc().poll.async(fds, this.#count, timeoutMs, (err: unknown, r: number) => {
        this.#pending = undefined;
        if (err) return reject(err as Error);
        if (r < 0) return reject(new BpfError('poll', koffi.errno()));
        const v = new DataView(fds.buffer);
        const ready: number[] = [];
        for (let k = 0; k < this.#count - 1; k++)
          if ((v.getInt16(k * POLLFD + 6, true) & POLLIN) !== 0) ready.push(k);
        if ((v.getInt16((this.#count - 1) * POLLFD + 6, true) & POLLIN) !== 0) this.#drainWake();
        for (let k = 0; k < this.#count; k++) v.setInt16(k * POLLFD + 6, 0, true);
        resolve(ready);
      });
    });
    this.#pending = p;
    return p;
  }

  /** Ends a pending wait now (it resolves with []). */
  wake(): void {
    if (this.#closed) return;
    const one = new Uint8Array(8);
    one[0] = 1;
    libc().write(this.#wakeFd, one, 8);
  }

  /** Wakes a pending wait, lets it return, then closes the eventfd. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const pending = this.#pending;
    this.wake();
    if (pending !== undefined) await pending.catch(() => []);
    this.#closed = true;
    libc().close(this.#wakeFd);
  }

  #drainWake(): void {
    if (!this.#closed) libc().read(this.#wakeFd, new Uint8Array(8), 8);
  }
}

/**
 * A reader's next(): `read()`, and while it gives nothing, wait for readiness and try again;
 * undefined once the reader is `closed()` (its close() wakes the wait).
 */
export async function nextReady<T>(
  read: () => T | undefined,
  closed: () => boolean,
  ready: Readiness,
): Promise<T | undefined> {
  for (;;) {
    if (closed()) return undefined;
    const r = read();
    if (r !== undefined) return r;
    await ready.wait();
  }
}

/** A reader's async iterator: the values of `next()` until it gives undefined (closed). */
export async function* untilClosed<T>(next: () => Promise<T | undefined>): AsyncGenerator<T> {
  for (;;) {
    const r = await next();
    if (r === undefined) return;
    yield r;
  }
}
