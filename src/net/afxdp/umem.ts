// A simulated UMEM: an ArrayBuffer with the geometry xdp_umem_reg accepts (runtime/xsk/umem.ts).
// Frames are chunks addressed by their byte offset, as in the kernel's aligned mode.

import type { UmemArea } from '../../runtime/xsk/socket.js';
import { checkUmemConfig, type UmemConfig, type UmemGeometry } from '../../runtime/xsk/umem.js';

export class Umem implements UmemArea {
  readonly geometry: UmemGeometry;
  readonly bytes: Uint8Array;

  /** Throws BpfError (op XDP_UMEM_REG, EINVAL) for a geometry the kernel refuses. */
  constructor(config: UmemConfig) {
    this.geometry = checkUmemConfig(config);
    this.bytes = new Uint8Array(this.geometry.size);
  }

  /** The address of frame `i` (its chunk's first byte). */
  frameAddr(i: number): number {
    return i * this.geometry.chunkSize;
  }
}
