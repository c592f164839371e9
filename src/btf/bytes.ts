// A bounds-checked little/big-endian reader over a byte slice, for parsing untrusted object files.
// Every read that would leave the slice throws LoadError('ELF_INVALID') naming what was being
// read, so malformed input never surfaces as a RangeError. Not a general-purpose buffer class.

import { LoadError } from '../errors.js';

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  /** What is being read, for error messages (e.g. `section .BTF`). */
  readonly what: string;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, littleEndian: boolean, what: string) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.what = what;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless [at, at+size) lies inside the slice. */
  check(at: number, size: number, field: string): void {
    if (
      !Number.isSafeInteger(at) ||
      !Number.isSafeInteger(size) ||
      at < 0 ||
      size < 0 ||
      at + size > this.length
    ) {
      throw new LoadError(
        'ELF_INVALID',
        `${this.what}: ${field} at offset ${at} (+${size}) lies outside its ${this.length} bytes`,
      );
    }
  }

  u8(at: number, field: string): number {
    this.check(at, 1, field);
    return this.view.getUint8(at);
  }
  u16(at: number, field: string): number {
    this.check(at, 2, field);
    return this.view.getUint16(at, this.littleEndian);
  }
  u32(at: number, field: string): number {
    this.check(at, 4, field);
    return this.view.getUint32(at, this.littleEndian);
  }
  i32(at: number, field: string): number {
    this.check(at, 4, field);
    return this.view.getInt32(at, this.littleEndian);
  }
  /** An unsigned 64-bit field that must fit a JavaScript number (offsets, sizes). */
  u64(at: number, field: string): number {
    this.check(at, 8, field);
    const v = this.view.getBigUint64(at, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new LoadError('ELF_INVALID', `${this.what}: ${field} = ${v} is too large`);
    }
    return Number(v);
  }
  /** An unsigned 64-bit field kept whole. */
  big64(at: number, field: string): bigint {
    this.check(at, 8, field);
    return this.view.getBigUint64(at, this.littleEndian);
  }

  /** A sub-slice [at, at+size), checked. */
  slice(at: number, size: number, field: string): Uint8Array {
    this.check(at, size, field);
    return this.bytes.subarray(at, at + size);
  }

  /** A NUL-terminated string starting at `at`; throws if it runs off the end. */
  cstring(at: number, field: string): string {
    this.check(at, 0, field);
    const end = this.bytes.indexOf(0, at);
    if (end < 0)
      throw new LoadError('ELF_INVALID', `${this.what}: ${field} at offset ${at} is not NUL-terminated`);
    return decodeText(this.bytes.subarray(at, end));
  }
}

// Declared here because the ES2022 lib has no TextDecoder (browsers and Node both have one).
declare const TextDecoder: new (
  label: string,
  options: { fatal: boolean },
) => { decode(bytes: Uint8Array): string };
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Decodes identifier bytes; UTF-8 (lossy) so that odd bytes never throw. */
export function decodeText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
