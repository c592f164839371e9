// The byte writer under the Wasm emitter: a growable buffer with the binary format's integer
// encodings (unsigned and signed LEB128, WebAssembly spec §5.2.2) and sizes written after their
// contents (sections, function bodies), so nothing is encoded twice.

export class ByteWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** The bytes written so far, not copied: valid until the next write. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  // Every write checks its room inline and calls out only to grow: a compile writes hundreds of
  // thousands of bytes, mostly while V8 still interprets this code, so a call per byte shows.
  #grow(n: number): void {
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): this {
    if (this.#len === this.#buf.length) this.#grow(1);
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }

  /** Two bytes (an opcode and a one-byte immediate). */
  byte2(a: number, b: number): this {
    if (this.#len + 2 > this.#buf.length) this.#grow(2);
    const buf = this.#buf;
    buf[this.#len] = a;
    buf[this.#len + 1] = b;
    this.#len += 2;
    return this;
  }

  bytes(data: Uint8Array | readonly number[]): this {
    if (this.#len + data.length > this.#buf.length) this.#grow(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  /** An opcode and its signed LEB128 immediate (i32.const, and i64.const of an i32-range value). */
  byteS32(op: number, value: number): this {
    if (this.#len + 6 > this.#buf.length) this.#grow(6);
    this.#buf[this.#len++] = op;
    return this.s32(value);
  }

  /** Unsigned LEB128 of a u32 (indices, sizes, alignments). */
  u32(value: number): this {
    if (value >>> 0 !== value) throw new RangeError(`u32 LEB128: ${value} out of range`);
    if (this.#len + 5 > this.#buf.length) this.#grow(5);
    const buf = this.#buf;
    let v = value;
    while (v >= 0x80) {
      buf[this.#len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.#len++] = v;
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (i32.const; also i64.const of a value in i32 range). */
  s32(value: number): this {
    if (this.#len + 5 > this.#buf.length) this.#grow(5);
    const buf = this.#buf;
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        buf[this.#len++] = b;
        return this;
      }
      buf[this.#len++] = b | 0x80;
    }
  }

  /** Signed LEB128 of a 64-bit integer (i64.const), taken modulo 2^64. */
  s64(value: bigint): this {
    const small = Number(BigInt.asIntN(32, value));
    if (BigInt(small) === BigInt.asIntN(64, value)) return this.s32(small);
    let v = BigInt.asIntN(64, value);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** A name (import and export names are ASCII here): its length, then the bytes. */
  name(text: string): this {
    this.u32(text.length);
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c > 0x7f) throw new RangeError(`name ${JSON.stringify(text)} is not ASCII`);
      this.byte(c);
    }
    return this;
  }

  /**
   * Writes what `body` writes, preceded by its byte length as u32 LEB128: five bytes are kept
   * for the length and the body moved back over the ones its length does not need.
   */
  sized(body: (w: ByteWriter) => void): this {
    if (this.#len + 5 > this.#buf.length) this.#grow(5);
    const at = this.#len;
    this.#len += 5;
    body(this);
    const size = this.#len - at - 5;
    const n = size < 0x80 ? 1 : size < 0x4000 ? 2 : size < 0x200000 ? 3 : size < 0x10000000 ? 4 : 5;
    const buf = this.#buf;
    buf.copyWithin(at + n, at + 5, this.#len);
    this.#len = at;
    this.u32(size);
    this.#len = at + n + size;
    return this;
  }
}

/** Reads unsigned LEB128 at `at`: [value, next offset] (for tests and decoders). */
export function readU32(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let k = at; k < bytes.length; k++) {
    const b = bytes[k]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, k + 1];
  }
  throw new RangeError('truncated LEB128');
}

/** Reads signed LEB128 (up to 64 bits) at `at`: [value, next offset]. */
export function readS64(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let k = at; k < bytes.length; k++) {
    const b = bytes[k]!;
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if ((b & 0x40) !== 0) value -= 1n << shift;
      return [BigInt.asIntN(64, value), k + 1];
    }
  }
  throw new RangeError('truncated LEB128');
}
