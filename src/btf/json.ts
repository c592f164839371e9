// A map key or value as bpftool's `map dump -j` shows it under "formatted": the bytes read
// through their BTF type, as bpftool's btf_dumper writes JSON (tools/bpf/bpftool/btf_dumper.c):
// integers as numbers (128-bit ones as a "0x.." string), bool as true/false, a printable char
// as a one-character string, char arrays holding a C string as that string, enums by their
// enumerator's name (the number when none matches), pointers as numbers, structs and unions as
// objects of their members, arrays as arrays. Little-endian only (what this machine runs).

import { assertNever, NotSupportedError } from '../errors.js';
import { memberBits, resolveId, sizeOf, typeById } from './query.js';
import type { Btf, BtfType } from './types.js';

export type Formatted = number | bigint | string | boolean | Formatted[] | { [name: string]: Formatted };

/** Reads `bits` bits at bit `offset` of `bytes` (little-endian), unsigned. */
function readBits(bytes: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let k = 0; k < bits; k++) {
    const bit = offset + k;
    if (((bytes[bit >> 3] ?? 0) >> (bit & 7)) & 1) v |= 1n << BigInt(k);
  }
  return v;
}

/** A JSON number where it is exact, else a bigint (printed by toJson as digits in a string). */
function integer(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;

/** bpftool prints a char array as a string when it holds a NUL-terminated printable string. */
function cString(bytes: Uint8Array): string | undefined {
  const end = bytes.indexOf(0);
  if (end < 0) return undefined;
  const text = bytes.subarray(0, end);
  return text.every(isPrint) ? String.fromCharCode(...text) : undefined;
}

function isCharType(t: BtfType): boolean {
  return t.kind === 'int' && t.size === 1 && (t.char || t.name === 'char' || t.name === 'signed char');
}

/** `bytes` (at least the type's size) as bpftool's btf_dumper writes type `id` in JSON. */
export function formatBtf(btf: Btf, id: number, bytes: Uint8Array, bitOffset = 0, bitfield = 0): Formatted {
  const t = typeById(btf, resolveId(btf, id));
  switch (t.kind) {
    case 'int': {
      // A bitfield's position already counts the int's own offset (memberBits).
      const bits = bitfield > 0 ? bitfield : t.bits;
      const raw = readBits(bytes, bitfield > 0 ? bitOffset : bitOffset + t.bitOffset, bits);
      if (t.bool) return raw !== 0n;
      if (t.char && bitfield === 0) {
        // bpftool writes "\u00XX" for an unprintable one: the same one-character JSON string.
        return String.fromCharCode(Number(raw));
      }
      if (bits > 64) return `0x${raw.toString(16)}`;
      return integer(t.signed ? BigInt.asIntN(bits, raw) : raw);
    }
    case 'enum':
    case 'enum64': {
      const bits = bitfield > 0 ? bitfield : t.size * 8;
      const raw = readBits(bytes, bitOffset, bits);
      const value = t.signed ? BigInt.asIntN(bits, raw) : raw;
      const named = (t.values as readonly { name: string; value: number | bigint }[]).find(
        (e) => BigInt(e.value) === value || BigInt.asUintN(bits, BigInt(e.value)) === raw,
      );
      return named?.name ?? integer(value);
    }
    case 'ptr':
      return integer(readBits(bytes, bitOffset, 64));
    case 'array': {
      const elem = typeById(btf, resolveId(btf, t.type));
      const size = sizeOf(btf, t.type);
      const start = bitOffset >> 3;
      const whole = bytes.subarray(start, start + size * t.nelems);
      if (isCharType(elem)) {
        const s = cString(whole);
        if (s !== undefined) return s;
      }
      return Array.from({ length: t.nelems }, (_, k) => formatBtf(btf, t.type, whole.subarray(k * size)));
    }
    case 'struct':
    case 'union': {
      const start = bitOffset >> 3;
      const own = bytes.subarray(start, start + t.size);
      const out: Record<string, Formatted> = {};
      for (const m of t.members) {
        const bits = memberBits(btf, m);
        out[m.name] = formatBtf(btf, m.type, own, bits?.pos ?? m.bitOffset, bits?.width ?? 0);
      }
      return out;
    }
    case 'float': {
      const start = bitOffset >> 3;
      const v = new DataView(bytes.buffer, bytes.byteOffset + start, t.size);
      if (t.size === 4) return v.getFloat32(0, true);
      if (t.size === 8) return v.getFloat64(0, true);
      throw new NotSupportedError(`formatting a ${t.size}-byte float`);
    }
    case 'void':
    case 'fwd':
    case 'func':
    case 'func_proto':
    case 'var':
    case 'datasec':
    case 'decl_tag':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      // resolveId leaves no typedef or qualifier; the others are not data a map holds.
      throw new NotSupportedError(`formatting BTF ${t.kind} '${t.name}'`);
    default:
      return assertNever(t);
  }
}
