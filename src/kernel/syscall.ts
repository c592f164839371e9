// The bpf(2) system call, close(2) and clock_gettime(2), reached through libc's variadic `syscall()` with koffi.
// This file only moves bytes: it knows syscall numbers and errno, not attr layouts (attr.ts)
// or objects (program.ts, map.ts). Failures become BpfError carrying the command, errno and its name.

import koffi, { type LibraryHandle } from 'koffi';
import { BpfError, NotSupportedError } from '../errors.js';
import { type BpfCmdName, bpfCmdName } from '../uapi/index.js';

/** __NR_bpf per architecture: arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h. */
const SYS_BPF: Partial<Record<NodeJS.Architecture, number>> = { x64: 321, arm64: 280 };

interface Libc {
  readonly syscall: (...args: unknown[]) => number | bigint;
  readonly close: (fd: number) => number;
  readonly clockGettime: (clock: number, ts: Uint8Array) => number;
}

let libc: Libc | undefined;
let sysBpf = -1;

/** Binds libc once; throws NotSupportedError where there is no Linux libc or no known syscall number. */
function bind(): Libc {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') throw new NotSupportedError('bpf(2)', `not Linux (${process.platform})`);
  const nr = SYS_BPF[process.arch];
  if (nr === undefined) throw new NotSupportedError('bpf(2)', `no syscall number known for ${process.arch}`);
  let lib: LibraryHandle;
  try {
    lib = koffi.load('libc.so.6');
  } catch (e) {
    throw new NotSupportedError('bpf(2)', `cannot load libc.so.6: ${(e as Error).message}`);
  }
  sysBpf = nr;
  libc = {
    syscall: lib.func('long syscall(long number, ...)') as Libc['syscall'],
    close: lib.func('int close(int fd)') as Libc['close'],
    clockGettime: lib.func('int clock_gettime(int clk, _Out_ void *tp)') as Libc['clockGettime'],
  };
  return libc;
}

/**
 * Calls bpf(cmd, attr, attr.length). `attr` is read and written by the kernel in place (some
 * commands return values in it). Every pointer inside `attr` must stay alive until this returns.
 * Returns the non-negative result (an fd for *_CREATE/*_LOAD, 0 otherwise).
 */
export function bpf(cmd: number, attr: Uint8Array): number {
  const c = bind();
  const r = Number(c.syscall(sysBpf, 'int', cmd, 'void *', attr, 'uint', attr.length));
  if (r < 0) {
    const errno = koffi.errno();
    const name: BpfCmdName | string = bpfCmdName(cmd) ?? `cmd ${cmd}`;
    throw new BpfError(`BPF_${name}`, errno);
  }
  return r;
}

/** close(2); an error (EBADF) is reported as BpfError, since it means an fd was mismanaged. */
export function closeFd(fd: number): void {
  const r = bind().close(fd);
  if (r < 0) {
    const errno = koffi.errno();
    throw new BpfError('close', errno, { subject: `fd ${fd}` });
  }
}

const timespec = new Uint8Array(16);
const timespecView = new DataView(timespec.buffer);

/** clock_gettime(2) of clock `id` (CLOCK_* of <time.h>) in nanoseconds (struct timespec: two longs). */
export function clockGettime(id: number): bigint {
  if (bind().clockGettime(id, timespec) < 0) throw new BpfError('clock_gettime', koffi.errno());
  return timespecView.getBigInt64(0, true) * 1_000_000_000n + timespecView.getBigInt64(8, true);
}

/**
 * The address of a byte buffer, for pointer fields inside bpf_attr. The buffer must own its
 * ArrayBuffer from offset 0 (see `pinned`) so that V8 keeps it off-heap and never moves it.
 */
export function addressOf(buf: Uint8Array): bigint {
  return koffi.address(buf);
}

/** A zeroed buffer of `size` bytes (at least 1) in its own off-heap ArrayBuffer: safe to point at. */
export function pinned(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(Math.max(1, size)));
}

/** A pinned copy of `bytes`. */
export function pinnedCopy(bytes: Uint8Array): Uint8Array {
  const out = pinned(bytes.length);
  out.set(bytes);
  return out;
}
