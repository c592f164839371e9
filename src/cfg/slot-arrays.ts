// Typed arrays for the passes over one program (a mask or a flag per slot, per block), carved
// from shared chunks. A verification makes some thirty of them; V8 gives a typed array of more
// than 64 bytes a backing store of its own, which costs ~0.4 µs to make and more to collect (30x
// a view on an existing buffer, measured on Node 20): a view each is what the passes need.

const ALIGN = 8;

/** Zeroed typed arrays for the passes over one program, from chunks taken as needed. */
export class SlotArrays {
  /** Bytes of a chunk: some twenty arrays of four bytes a slot. */
  private readonly size: number;
  private chunk: ArrayBuffer;
  private used = 0;

  /** `slots`: the program's length, which sizes the chunks. */
  constructor(slots: number) {
    this.size = Math.max(1024, slots * 4 * 20);
    this.chunk = new ArrayBuffer(this.size);
  }

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
    if (start + bytes > this.chunk.byteLength) {
      this.chunk = new ArrayBuffer(Math.max(this.size, bytes));
      this.used = bytes;
    } else this.used = start + bytes;
    return this.chunk;
  }
}

const byOwner = new WeakMap<object, SlotArrays>();

/**
 * The arrays of the passes over `owner` (a program's Layout, its Cfg): made on first use, they
 * live as long as it does.
 */
export function slotArrays(owner: object, slots: number): SlotArrays {
  let a = byOwner.get(owner);
  if (a === undefined) {
    a = new SlotArrays(slots);
    byOwner.set(owner, a);
  }
  return a;
}
