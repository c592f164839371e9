// The libc calls the network side of the kernel backend needs (sockets, socket options, mmap,
// poll, setns, ioctl), bound once through koffi like syscall.ts binds bpf(2). Only moves bytes and
// turns a failure into BpfError naming the call (`op`) with errno; knows no struct layouts.

import koffi, { type LibraryHandle } from 'koffi';
import { BpfError, NotSupportedError } from '../errors.js';

type Fn = (...args: unknown[]) => unknown;

interface NetLibc {
  readonly socket: (domain: number, type: number, protocol: number) => number;
  readonly setsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number) => number;
  readonly getsockopt: (fd: number, level: number, name: number, val: Uint8Array, len: number[]) => number;
  readonly bind: (fd: number, addr: Uint8Array, len: number) => number;
  readonly mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: bigint) => unknown;
  readonly munmap: (addr: unknown, len: number) => number;
  readonly sendto: (
    fd: number,
    buf: Uint8Array | null,
    len: number,
    flags: number,
    addr: null,
    alen: number,
  ) => number;
  readonly recvfrom: (
    fd: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    addr: Uint8Array,
    alen: number[],
  ) => number;
  readonly poll: (fds: Uint8Array, nfds: number, timeout: number) => number;
  readonly setns: (fd: number, nstype: number) => number;
  readonly ioctl: (fd: number, request: number, arg: Uint8Array) => number;
}

let bound: NetLibc | undefined;

export function netLibc(): NetLibc {
  if (bound !== undefined) return bound;
  if (process.platform !== 'linux')
    throw new NotSupportedError('Linux sockets', `not Linux (${process.platform})`);
  let lib: LibraryHandle;
  try {
    lib = koffi.load('libc.so.6');
  } catch (e) {
    throw new NotSupportedError('Linux sockets', `cannot load libc.so.6: ${(e as Error).message}`);
  }
  const f = (decl: string): Fn => lib.func(decl) as Fn;
  bound = {
    socket: f('int socket(int domain, int type, int protocol)') as NetLibc['socket'],
    setsockopt: f(
      'int setsockopt(int fd, int level, int name, void *val, uint32_t len)',
    ) as NetLibc['setsockopt'],
    getsockopt: f(
      'int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)',
    ) as NetLibc['getsockopt'],
    bind: f('int bind(int fd, void *addr, uint32_t len)') as NetLibc['bind'],
    mmap: f(
      'void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)',
    ) as NetLibc['mmap'],
    munmap: f('int munmap(void *addr, size_t len)') as NetLibc['munmap'],
    sendto: f(
      'intptr_t sendto(int fd, void *buf, size_t len, int flags, void *addr, uint32_t alen)',
    ) as NetLibc['sendto'],
    recvfrom: f(
      'intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, _Inout_ uint32_t *alen)',
    ) as NetLibc['recvfrom'],
    poll: f('int poll(void *fds, unsigned long nfds, int timeout)') as NetLibc['poll'],
    setns: f('int setns(int fd, int nstype)') as NetLibc['setns'],
    ioctl: f('int ioctl(int fd, unsigned long request, void *arg)') as NetLibc['ioctl'],
  };
  return bound;
}

/** The errno of the last failed libc call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Returns `r` when non-negative; else throws BpfError naming `op` with the call's errno. */
export function check(op: string, r: number | bigint, subject?: string): number {
  const n = Number(r);
  if (n >= 0) return n;
  throw new BpfError(op, koffi.errno(), subject === undefined ? {} : { subject });
}

/** The address a koffi pointer holds (0n for NULL). */
export function pointerAddress(p: unknown): bigint {
  return p === null ? 0n : koffi.address(p);
}

/** An ArrayBuffer over `len` bytes of native memory at `p` (mmapped; valid until munmap). */
export function nativeView(p: unknown, len: number): ArrayBuffer {
  return koffi.view(p, len);
}
