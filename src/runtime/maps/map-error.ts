// The error a map operation throws on the user-space side: the kernel's errno for the same
// request (ENOENT, EEXIST, E2BIG, ...), so code can treat these maps and kernel maps alike.
// Program-side operations never throw this; they return -errno as the helpers do.

import { TsbpfError } from '../../errors.js';
import { errnoName } from '../../uapi/errno.js';

export class MapError extends TsbpfError {
  /** Positive errno, as bpf(2) would set it. */
  readonly errno: number;
  /** For batch operations: how many elements were processed before the failure. */
  readonly count: number | undefined;
  constructor(what: string, errno: number, count?: number) {
    super('MAP_ERROR', `${what}: ${errnoName(errno)}`);
    this.errno = errno;
    this.count = count;
  }
}

/** Errno values the map code needs beyond src/uapi/errno.ts (asm-generic/errno.h). */
export const EOVERFLOW = 75;
export const ENOTSOCK = 88;
