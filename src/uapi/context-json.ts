// Context structs as JSON and back, for `--ctx-in` / `ctx_out`: `{ "ingress_ifindex": 1,
// "cb": [1, 2, 3, 4, 5], "remote_ip6": [0, 0, 0, 1] }`. Fields of 4 bytes are u32 numbers, of
// 8 bytes u64 (in: number, bigint or decimal string; out: bigint, which the CLI's JSON writes
// as a decimal string), arrays are u32 words (cb, IPv6 addresses).

import { TsbpfError } from '../errors.js';
import { type CtxKind, ctxSize, SK_BUFF, XDP_MD } from './context.js';

const layout = (kind: CtxKind) => (kind === 'xdp_md' ? XDP_MD : SK_BUFF);

/** Encodes named fields into the context struct's bytes (unnamed fields stay zero). */
export function encodeCtx(kind: CtxKind, values: Readonly<Record<string, unknown>>): Uint8Array {
  const out = new Uint8Array(ctxSize(kind));
  const view = new DataView(out.buffer);
  for (const [name, value] of Object.entries(values)) {
    const field = layout(kind).find((f) => f.name === name);
    if (field === undefined) {
      const known = layout(kind)
        .map((f) => f.name)
        .filter((n) => !n.startsWith('('));
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${kind} has no field '${name}' (fields: ${known.join(', ')})`,
      );
    }
    const words = Array.isArray(value) ? value : [value];
    const width = Array.isArray(value) ? 4 : field.size;
    if (words.length * width > field.size) {
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${kind}.${name}: ${words.length} values do not fit in ${field.size} bytes`,
      );
    }
    words.forEach((w, k) => {
      let v: bigint;
      try {
        v = BigInt(w as string | number | bigint);
      } catch {
        throw new TsbpfError('INVALID_ARGUMENT', `${kind}.${name}: '${String(w)}' is not an integer`);
      }
      const at = field.offset + k * width;
      if (width === 8) view.setBigUint64(at, BigInt.asUintN(64, v), true);
      else if (width === 4) view.setUint32(at, Number(BigInt.asUintN(32, v)), true);
      else view.setUint8(at, Number(BigInt.asUintN(8, v)));
    });
  }
  return out;
}

/** Decodes a context struct's bytes into named fields (the inverse of encodeCtx); u64 fields as bigint. */
export function decodeCtx(kind: CtxKind, bytes: Uint8Array): Record<string, number | bigint | number[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, number | bigint | number[]> = {};
  for (const f of layout(kind)) {
    if (f.name.startsWith('(') || f.offset + f.size > bytes.length) continue;
    if (f.size === 8) out[f.name] = view.getBigUint64(f.offset, true);
    else if (f.size === 4) out[f.name] = view.getUint32(f.offset, true);
    else if (f.size === 1) out[f.name] = view.getUint8(f.offset);
    else out[f.name] = Array.from({ length: f.size / 4 }, (_, k) => view.getUint32(f.offset + 4 * k, true));
  }
  return out;
}
