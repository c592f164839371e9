// The fixed part of every generated skeleton, as source text: the Codec, TypedMap and Section
// contracts, the embedded object's decoder, and the plumbing that opens the object, writes the
// global-data sections into the spec before load and wraps a loaded Collection. Per-object code
// (types, handles, open()) is emitted by generate.ts around it.
// Each part is included only when the object needs it, so a skeleton has no unused code.

export const RUNTIME = {
  /** Always: the contracts, the object decoder, data-section replacement, program handles. */
  core: `/** Encodes and decodes one C type: little-endian, the compiler's layout with its padding. */
export interface Codec<T> {
  readonly size: number;
  decode(bytes: Uint8Array): T;
  encode(value: T): Uint8Array;
  read(view: DataView, offset: number): T;
  write(view: DataView, offset: number, value: T, where?: string): void;
}

/** A map with typed keys and values; \`raw\` is the backend's map (bytes in, bytes out). */
export interface TypedMap<K, V, M extends LoadedMap = LoadedMap> {
  readonly raw: M;
  lookup(key: K): V | undefined;
  update(key: K, value: V, flags?: number): void;
  delete(key: K): void;
  keys(): Generator<K>;
  entries(): Generator<[K, V]>;
}

/** A global-data section after load, read from (and written to) its map's single value. */
export interface ReadonlySection<T> {
  get(): T;
}
export interface Section<T> extends ReadonlySection<T> {
  /** Writes the variables given; the others keep their current values. */
  set(values: Partial<T>): void;
}

/** A loader: tsbpf's \`load\` (the VM) or \`loadKernel\` from 'tsbpf/kernel', or a closure over either with options. */
export type Backend<C extends Collection> = (spec: CollectionSpec) => C;
/** The program type of a backend's collection (VmProgram, CollectionProgram, ...). */
export type ProgramOf<C extends Collection> = C['programs'] extends ReadonlyMap<string, infer P extends LoadedProgram> ? P : LoadedProgram;
/** The map type of a backend's collection (VmMap, CollectionMap, ...). */
export type MapOf<C extends Collection> = C['maps'] extends ReadonlyMap<string, infer M extends LoadedMap> ? M : LoadedMap;

function fromBase64(text: string): Uint8Array {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array((clean.length * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const ch of clean) {
    acc = ((acc << 6) | digits.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The spec with the given global-data maps' initial values replaced. */
function withData(spec: CollectionSpec, data: ReadonlyMap<string, Uint8Array>): CollectionSpec {
  return {
    ...spec,
    maps: spec.maps.map((m) => {
      const bytes = data.get(m.name);
      return bytes === undefined ? m : { ...m, contents: { kind: 'data' as const, bytes } };
    }),
  };
}

function program<C extends Collection>(c: C, name: string): ProgramOf<C> {
  const p = c.programs.get(name);
  if (p === undefined) throw new TsbpfError('LOAD_ERROR', \`the loaded collection has no program \${name}\`);
  return p as ProgramOf<C>;
}
`,
  /** Objects with maps: typed map handles. */
  maps: `function map<C extends Collection>(c: C, name: string): MapOf<C> {
  const m = c.maps.get(name);
  if (m === undefined) throw new TsbpfError('LOAD_ERROR', \`the loaded collection has no map \${name}\`);
  return m as MapOf<C>;
}

function typedMap<K, V, M extends LoadedMap>(raw: M, key: Codec<K>, value: Codec<V>): TypedMap<K, V, M> {
  return {
    raw,
    lookup(k) {
      const bytes = raw.lookup(key.encode(k));
      return bytes === undefined ? undefined : value.decode(bytes);
    },
    update: (k, x, flags) => raw.update(key.encode(k), value.encode(x), flags),
    delete: (k) => raw.delete(key.encode(k)),
    *keys() {
      for (let k = raw.nextKey(); k !== undefined; k = raw.nextKey(k)) yield key.decode(k);
    },
    *entries() {
      for (let k = raw.nextKey(); k !== undefined; k = raw.nextKey(k)) {
        const bytes = raw.lookup(k);
        if (bytes !== undefined) yield [key.decode(k), value.decode(bytes)];
      }
    },
  };
}
`,
  /** Objects with per-CPU maps. */
  perCpu: `/** A per-CPU map's value as bpf(2) gives it: one value per CPU, each padded to 8 bytes. */
function perCpu<T>(name: string, value: Codec<T>, total: number): Codec<T[]> {
  const stride = (value.size + 7) & ~7;
  const cpus = Math.floor(total / stride);
  return codec(
    name,
    total,
    (v, o) => Array.from({ length: cpus }, (_, i) => value.read(v, o + i * stride)),
    (v, o, x, where) => {
      if (!Array.isArray(x) || x.length !== cpus)
        throw new TsbpfError('INVALID_ARGUMENT', \`\${where}: want an array of \${cpus} values (one per CPU)\`);
      x.forEach((e, i) => value.write(v, o + i * stride, e, \`\${where}[\${i}]\`));
    },
  );
}

function perCpuMap<K, V, M extends LoadedMap>(raw: M, key: Codec<K>, value: Codec<V>): TypedMap<K, V[], M> {
  return typedMap(raw, key, perCpu(\`\${raw.name} value\`, value, raw.valueSize));
}
`,
  /** Objects with global variables: initial values before load, sections after. */
  sections: `function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The initial value of a global-data map: its section's bytes, or zeros (.bss). */
function initial(spec: CollectionSpec, map: string): Uint8Array {
  const m = spec.maps.find((x) => x.name === map);
  if (m === undefined) throw new TsbpfError('LOAD_ERROR', \`the object has no map \${map}\`);
  const bytes = new Uint8Array(m.valueSize);
  if (m.contents?.kind === 'data') bytes.set(m.contents.bytes.subarray(0, m.valueSize));
  return bytes;
}

/** A section's variables written over its initial bytes, checked against their C types. */
function fill<T>(spec: CollectionSpec, map: string, codec: Codec<T>, value: T, where: string): [string, Uint8Array] {
  const bytes = initial(spec, map);
  codec.write(viewOf(bytes), 0, value, where);
  return [map, bytes];
}

function section<T>(raw: LoadedMap, codec: Codec<T>): Section<T> {
  const zero = new Uint8Array(4);
  const current = (): Uint8Array => {
    const bytes = raw.lookup(zero);
    if (bytes === undefined) throw new TsbpfError('LOAD_ERROR', \`map \${raw.name} has no value at key 0\`);
    return bytes.slice();
  };
  return {
    get: () => codec.decode(current()),
    set(values) {
      const bytes = current();
      codec.write(viewOf(bytes), 0, { ...codec.decode(bytes), ...values });
      raw.update(zero, bytes);
    },
  };
}
`,
} as const;
