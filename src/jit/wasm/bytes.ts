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

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  byte(b: number): this {
    this.#room(1);
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }

  bytes(data: Uint8Array | readonly number[]): this {
    this.#room(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53 (u32 indices, sizes, alignments). */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
      throw new RangeError(`u32 LEB128: ${value} out of range`);
    let v = value;
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (i32.const). */
  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Signed LEB128 of a 64-bit integer (i64.const), taken modulo 2^64. */
  s64(value: bigint): this {
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

  /** Writes what `body` writes, preceded by its byte length as u32 LEB128 (back-patched). */
  sized(body: (w: ByteWriter) => void): this {
    const inner = new ByteWriter();
    body(inner);
    return this.u32(inner.length).bytes(inner.finish());
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
