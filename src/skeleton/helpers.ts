// The small functions a generated skeleton carries (as source text): reading and writing
// integers, floats, bytes, arrays and bitfields over a DataView, little-endian, with range
// checks that throw TsbpfError('INVALID_ARGUMENT') naming the field. A skeleton includes only
// the ones its types use, so the generated file has no unused code.

export interface Helper {
  /** Helpers this one calls. */
  readonly uses: readonly HelperName[];
  readonly code: string;
}

export type HelperName =
  | 'bad'
  | 'need'
  | 'codec'
  | 'rdInt'
  | 'wrInt'
  | 'rdBig'
  | 'wrBig'
  | 'rdBool'
  | 'wrBool'
  | 'rdFloat'
  | 'wrFloat'
  | 'rdBytes'
  | 'wrBytes'
  | 'rdArray'
  | 'wrArray'
  | 'rdBits'
  | 'wrBits'
  | 'intBits'
  | 'flagBits';

export const HELPERS: Record<HelperName, Helper> = {
  bad: {
    uses: [],
    code: `function bad(where: string, x: unknown, want: string): never {
  const got = typeof x === 'bigint' ? \`\${x}n\` : x instanceof Uint8Array ? \`\${x.length} bytes\` : String(JSON.stringify(x));
  throw new TsbpfError('INVALID_ARGUMENT', \`\${where}: want \${want}, got \${got}\`);
}`,
  },
  need: {
    uses: ['bad'],
    code: `function need(x: unknown, where: string): void {
  if (typeof x !== 'object' || x === null) bad(where, x, 'an object');
}`,
  },
  codec: {
    uses: [],
    code: `function codec<T>(
  name: string,
  size: number,
  read: (v: DataView, o: number) => T,
  write: (v: DataView, o: number, x: T, where: string) => void,
): Codec<T> {
  return {
    size,
    read,
    write: (v, o, x, where = name) => write(v, o, x, where),
    decode(bytes) {
      if (bytes.length !== size) throw new TsbpfError('INVALID_ARGUMENT', \`\${name}: \${bytes.length} bytes, want \${size}\`);
      return read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
    },
    encode(value) {
      const bytes = new Uint8Array(size);
      write(new DataView(bytes.buffer), 0, value, name);
      return bytes;
    },
  };
}`,
  },
  rdInt: {
    uses: [],
    code: `function rdInt(v: DataView, o: number, size: 1 | 2 | 4, signed: boolean): number {
  if (size === 1) return signed ? v.getInt8(o) : v.getUint8(o);
  if (size === 2) return signed ? v.getInt16(o, true) : v.getUint16(o, true);
  return signed ? v.getInt32(o, true) : v.getUint32(o, true);
}`,
  },
  wrInt: {
    uses: ['bad'],
    code: `function wrInt(v: DataView, o: number, size: 1 | 2 | 4, signed: boolean, x: number, where: string): void {
  const lo = signed ? -(2 ** (size * 8 - 1)) : 0;
  const hi = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) bad(where, x, \`an integer in [\${lo}, \${hi}]\`);
  if (size === 1) v.setUint8(o, x & 0xff);
  else if (size === 2) v.setUint16(o, x & 0xffff, true);
  else v.setUint32(o, x >>> 0, true);
}`,
  },
  rdBig: {
    uses: [],
    code: `function rdBig(v: DataView, o: number, signed: boolean): bigint {
  return signed ? v.getBigInt64(o, true) : v.getBigUint64(o, true);
}`,
  },
  wrBig: {
    uses: ['bad'],
    code: `function wrBig(v: DataView, o: number, signed: boolean, x: bigint, where: string): void {
  if (typeof x !== 'bigint' || (signed ? BigInt.asIntN(64, x) : BigInt.asUintN(64, x)) !== x)
    bad(where, x, \`a bigint in \${signed ? 'int64' : 'uint64'} range\`);
  v.setBigUint64(o, BigInt.asUintN(64, x), true);
}`,
  },
  rdBool: {
    uses: [],
    code: `function rdBool(v: DataView, o: number): boolean {
  return v.getUint8(o) !== 0;
}`,
  },
  wrBool: {
    uses: ['bad'],
    code: `function wrBool(v: DataView, o: number, x: boolean, where: string): void {
  if (typeof x !== 'boolean') bad(where, x, 'a boolean');
  v.setUint8(o, x ? 1 : 0);
}`,
  },
  rdFloat: {
    uses: [],
    code: `function rdFloat(v: DataView, o: number, size: 4 | 8): number {
  return size === 4 ? v.getFloat32(o, true) : v.getFloat64(o, true);
}`,
  },
  wrFloat: {
    uses: ['bad'],
    code: `function wrFloat(v: DataView, o: number, size: 4 | 8, x: number, where: string): void {
  if (typeof x !== 'number') bad(where, x, 'a number');
  if (size === 4) v.setFloat32(o, x, true);
  else v.setFloat64(o, x, true);
}`,
  },
  rdBytes: {
    uses: [],
    code: `function rdBytes(v: DataView, o: number, n: number): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset + o, n).slice();
}`,
  },
  wrBytes: {
    uses: ['bad'],
    code: `function wrBytes(v: DataView, o: number, n: number, x: Uint8Array, where: string): void {
  if (!(x instanceof Uint8Array) || x.length !== n) bad(where, x, \`a Uint8Array of \${n} bytes\`);
  new Uint8Array(v.buffer, v.byteOffset + o, n).set(x);
}`,
  },
  rdArray: {
    uses: [],
    code: `function rdArray<T>(v: DataView, o: number, n: number, stride: number, rd: (v: DataView, o: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(rd(v, o + i * stride));
  return out;
}`,
  },
  wrArray: {
    uses: ['bad'],
    code: `function wrArray<T>(
  v: DataView,
  o: number,
  n: number,
  stride: number,
  x: readonly T[],
  where: string,
  wr: (v: DataView, o: number, x: T, where: string) => void,
): void {
  if (!Array.isArray(x) || x.length !== n) bad(where, x, \`an array of \${n}\`);
  for (let i = 0; i < n; i++) wr(v, o + i * stride, x[i] as T, \`\${where}[\${i}]\`);
}`,
  },
  rdBits: {
    uses: [],
    code: `/** Bits [pos, pos + width) of the little-endian bytes at o (a C bitfield on a little-endian target). */
function rdBits(v: DataView, o: number, pos: number, width: number, signed: boolean): bigint {
  let word = 0n;
  for (let b = (pos + width - 1) >> 3; b >= pos >> 3; b--) word = (word << 8n) | BigInt(v.getUint8(o + b));
  const raw = BigInt.asUintN(width, word >> BigInt(pos & 7));
  return signed ? BigInt.asIntN(width, raw) : raw;
}`,
  },
  wrBits: {
    uses: ['bad'],
    code: `function wrBits(v: DataView, o: number, pos: number, width: number, signed: boolean, x: bigint, where: string): void {
  if (typeof x !== 'bigint' || (signed ? BigInt.asIntN(width, x) : BigInt.asUintN(width, x)) !== x)
    bad(where, x, \`a \${width}-bit \${signed ? 'signed' : 'unsigned'} value\`);
  const first = pos >> 3;
  const last = (pos + width - 1) >> 3;
  let word = 0n;
  for (let b = last; b >= first; b--) word = (word << 8n) | BigInt(v.getUint8(o + b));
  const shift = BigInt(pos & 7);
  const mask = ((1n << BigInt(width)) - 1n) << shift;
  word = (word & ~mask) | (BigInt.asUintN(width, x) << shift);
  for (let b = first; b <= last; b++, word >>= 8n) v.setUint8(o + b, Number(word & 0xffn));
}`,
  },
  intBits: {
    uses: ['bad'],
    code: `function intBits(x: number, where: string): bigint {
  if (typeof x !== 'number' || !Number.isInteger(x)) bad(where, x, 'an integer');
  return BigInt(x);
}`,
  },
  flagBits: {
    uses: ['bad'],
    code: `function flagBits(x: boolean, where: string): bigint {
  if (typeof x !== 'boolean') bad(where, x, 'a boolean');
  return x ? 1n : 0n;
}`,
  },
};

/** The order helpers are emitted in: this list's. */
export const HELPER_ORDER = Object.keys(HELPERS) as HelperName[];
