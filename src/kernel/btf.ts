// Loading BTF into the kernel (BPF_BTF_LOAD) as a disposable fd that maps (key/value types) and
// programs (func_info, line_info) refer to. Takes the raw bytes as elf/ fixed them up; it does not
// sanitise BTF for older kernels (libbpf rewrites unknown kinds; tsbpf targets current kernels).

import { BpfError, TsbpfError } from '../errors.js';
import { BpfCmd, Errno } from '../uapi/index.js';
import { Attr, BtfLoad } from './attr.js';
import { FdHandle } from './fd.js';
import { pinned } from './syscall.js';

export interface LoadBtfOptions {
  /** BTF log level (1 = errors); when set the log is kept in KernelBtf.log even on success. */
  readonly logLevel?: number;
  /** Initial log size in bytes (default 64 KiB), grown on ENOSPC. */
  readonly logSize?: number;
}

/** The kernel refused the BTF; `log` is the kernel's BTF verifier log. */
export class BtfLoadError extends BpfError {
  readonly log: string;
  constructor(errno: number, log: string) {
    const last = log
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1);
    super('BPF_BTF_LOAD', errno, last === undefined ? {} : { reason: last });
    this.log = log;
  }
}

export class KernelBtf extends FdHandle {
  /** The BTF log, when a logLevel was asked for; '' otherwise. */
  readonly log: string;
  protected readonly what = 'BTF';

  /** @internal use loadBtf(). */
  constructor(fd: number, log: string) {
    super(fd);
    this.log = log;
  }
}

const DEFAULT_LOG_SIZE = 64 * 1024;
const MAX_LOG_SIZE = 16 * 1024 * 1024;

/** Loads raw BTF; a refusal is reloaded with a log and thrown as BtfLoadError carrying it. */
export function loadBtf(raw: Uint8Array, options: LoadBtfOptions = {}): KernelBtf {
  if (raw.length === 0) throw new TsbpfError('INVALID_ARGUMENT', 'BTF is empty');
  const attempt = (level: number, size: number): { fd: number; log: string } => {
    const attr = new Attr().ptrCopy(BtfLoad.btf, raw).u32(BtfLoad.btf_size, raw.length);
    let buf: Uint8Array | undefined;
    if (level > 0) {
      buf = pinned(size);
      attr.ptr(BtfLoad.btf_log_buf, buf).u32(BtfLoad.btf_log_size, size).u32(BtfLoad.btf_log_level, level);
    }
    const text = () => (buf === undefined ? '' : cString(buf));
    try {
      return { fd: attr.call(BpfCmd.BTF_LOAD), log: text() };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      if (e.errno === Errno.ENOSPC && buf !== undefined && size < MAX_LOG_SIZE) {
        const needed = attr.getU32(BtfLoad.btf_log_true_size);
        return attempt(level, Math.min(MAX_LOG_SIZE, Math.max(needed + 1, size * 4)));
      }
      if (buf !== undefined) throw new BtfLoadError(e.errno, text());
      throw e;
    }
  };
  const size = Math.max(1024, options.logSize ?? DEFAULT_LOG_SIZE);
  if (options.logLevel !== undefined && options.logLevel > 0) {
    const r = attempt(options.logLevel, size);
    return new KernelBtf(r.fd, r.log);
  }
  try {
    return new KernelBtf(attempt(0, 0).fd, '');
  } catch (e) {
    if (!(e instanceof BpfError) || (e.errno !== Errno.EINVAL && e.errno !== Errno.EACCES)) throw e;
    return new KernelBtf(attempt(1, size).fd, '');
  }
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
}
