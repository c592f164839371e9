// Ownership of one kernel file descriptor: close() once, use after close throws ClosedError,
// and a handle dropped without close() has its fd closed by the garbage collector as a last resort.
// Programs, maps (and later links, sockets) extend this; it knows nothing of what the fd is.

import { ClosedError } from '../errors.js';
import { closeFd } from './syscall.js';

// Closes fds of handles that were garbage-collected while still open (cilium/ebpf does the same
// with finalizers). Deterministic code should call close() or use `using`.
const leaked = new FinalizationRegistry<number>((fd) => {
  try {
    closeFd(fd);
  } catch {
    // Nothing to report to: the owner is gone.
  }
});

export abstract class FdHandle implements Disposable {
  #fd: number;
  /** What this handle is, for error messages ("program 'xdp_pass'", "map 'counts'"). */
  protected abstract readonly what: string;

  protected constructor(fd: number) {
    this.#fd = fd;
    leaked.register(this, fd, this);
  }

  /** The file descriptor; throws ClosedError after close(). */
  get fd(): number {
    if (this.#fd < 0) throw new ClosedError(this.what);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd; closing twice is a no-op. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    leaked.unregister(this);
    closeFd(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
