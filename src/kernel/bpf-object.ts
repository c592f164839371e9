// What every bpf object fd (program, map, link) can do beyond being an fd: be pinned in a
// bpffs (BPF_OBJ_PIN) so it outlives the process, and tell its kernel id. Opening pinned
// objects again is in open.ts; the raw commands are in pin.ts.

import { FdHandle } from './fd.js';
import { pinFd, unpinFd } from './pin.js';

export abstract class BpfObjectHandle extends FdHandle {
  /** The kernel's id of this object (as bpftool lists it). */
  abstract get id(): number;

  /**
   * BPF_OBJ_PIN: the object gets a name in a mounted bpffs and lives while the name does, also
   * after every fd is closed. The parent directory must exist inside a bpffs; an existing name
   * is EEXIST. unpin(path) removes the pin.
   */
  pin(path: string): void {
    pinFd(this.fd, path, this.what);
  }

  /**
   * Removes the pin at `path`, which must name this very object (else INVALID_ARGUMENT and the
   * pin stays); the object lives on while fds, links or other pins hold it.
   */
  unpin(path: string): void {
    unpinFd(this.fd, path, this.what);
  }
}
