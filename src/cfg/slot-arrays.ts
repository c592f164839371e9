// Typed arrays for the passes over one program (a mask or a flag per slot, per block), carved
// from shared chunks. A verification makes some thirty of them; V8 gives a typed array of more
// than 64 bytes a backing store of its own, which costs ~0.4 µs to make and more to collect (30x
// a view on an existing buffer, measured on Node 20): a view each is what the passes need.

const ALIGN = 8;

/** Zeroed typed arrays for the passes over one program, from chunks taken as needed. */
export class SlotArrays {
  private chunk: ArrayBuffer | undefined;
  private used = 0;

  int32(length: number): Int32Array {
    return new Int32Array(this.take(length * 4), this.used - length * 4, length);
  }

  uint8(length: number): Uint8Array {
    return new Uint8Array(this.take(length), this.used - length, length);
  }

  int8(length: number): Int8Array {
    return new Int8Array(this.take(length), this.used - length, length);
  }

  /** The chunk holding the next `bytes` (fresh, so zero), which then count as used. */
  private take(bytes: number): ArrayBuffer {
    const start = Math.ceil(this.used / ALIGN) * ALIGN;
    if (this.chunk === undefined || start + bytes > this.chunk.byteLength) {
      // Room for some sixteen arrays of this size: a pass over a program makes arrays of a size.
      this.chunk = new ArrayBuffer(Math.max(256, bytes * 16));
      this.used = bytes;
    } else this.used = start + bytes;
    return this.chunk;
  }
}

const byOwner = new WeakMap<object, SlotArrays>();

/**
 * The arrays of the passes over `owner` (a program's Layout, its Cfg, its blocks): made on first
 * use, they live as long as it does.
 */
export function slotArrays(owner: object): SlotArrays {
  let a = byOwner.get(owner);
  if (a === undefined) {
    a = new SlotArrays();
    byOwner.set(owner, a);
  }
  return a;
}
