// Loading an object for the CLI's prog and map commands: the spec from the ELF file, a backend
// (the VM, or the running kernel through bpf(2)), initial map contents from --map-init, and
// dumps of map contents in bpftool's JSON shape.

import {
  type Collection,
  type EngineName,
  type LoadedMap,
  load,
  loadCollectionSpec,
  NotSupportedError,
  ProgType,
  type ProgTypeName,
  parseBtf,
  TsbpfError,
  VerifierError,
} from '../index.js';
import { UsageError } from './args.js';
import { readBytes } from './files.js';
import { parseHex } from './hex.js';
import { withFullLog } from './rejection.js';

export type BackendName = 'vm' | 'kernel';

/** `--type NAME` (xdp, sched_cls, ...): a program type by its uapi name, any case. */
export function progTypeOption(value: string | boolean | undefined): ProgTypeName | undefined {
  if (value === undefined) return undefined;
  const name = String(value).toUpperCase();
  if (!(name in ProgType) || name === 'UNSPEC')
    throw new UsageError(
      `--type: unknown program type '${String(value)}' (e.g. xdp, sched_cls, socket_filter)`,
    );
  return name as ProgTypeName;
}

/**
 * Loads an object on a backend. `targetBtf` (a raw BTF file, e.g. /sys/kernel/btf/vmlinux) is
 * what CO-RE relocations are applied against; by default the kernel backend uses the running
 * kernel's BTF and the VM the object's own. `type` is given to every program whose section
 * does not tell its type (both backends refuse such a program otherwise).
 */
export interface LoadObjectOptions {
  readonly targetBtf?: string | undefined;
  readonly type?: ProgTypeName | undefined;
  /** The VM's engine; the kernel backend has its own JIT. */
  readonly engine?: EngineName;
  /** How much of a verifier's refusal to keep: 1 (the default) or 2 (every state). */
  readonly logLevel?: 1 | 2;
}

export async function loadObject(
  file: string,
  backend: BackendName,
  { targetBtf, type, engine = 'jit', logLevel = 1 }: LoadObjectOptions = {},
): Promise<Collection> {
  const parsed = loadCollectionSpec(readBytes(file, 'OBJ'));
  const spec =
    type === undefined
      ? parsed
      : { ...parsed, programs: parsed.programs.map((p) => (p.type === 'UNSPEC' ? { ...p, type } : p)) };
  const btf = targetBtf === undefined ? {} : { targetBtf: parseBtf(readBytes(targetBtf, '--target-btf')) };
  if (backend === 'kernel') {
    const kernel = await import('../kernel/index.js');
    const available = kernel.bpfAvailability();
    if (!available.ok) throw new NotSupportedError('the kernel backend', available.reason);
    // Without a level the kernel backend loads silently and asks again at level 1 on a refusal.
    return kernel.loadKernel(spec, { ...btf, ...(logLevel === 2 ? { logLevel } : {}) });
  }
  try {
    return load(spec, { ...btf, engine });
  } catch (e) {
    if (e instanceof VerifierError) throw withFullLog(e, spec, logLevel);
    throw e;
  }
}

/** --engine: the VM's engine (default the JIT). */
export function engineOption(value: string | boolean | undefined): EngineName {
  const e = value ?? 'jit';
  if (e !== 'jit' && e !== 'interp')
    throw new UsageError(`--engine: unknown engine '${String(e)}' (jit or interp)`);
  return e;
}

export function backendOption(value: string | boolean | undefined): BackendName {
  const b = value ?? 'vm';
  if (b !== 'vm' && b !== 'kernel')
    throw new UsageError(`--backend: unknown backend '${String(b)}' (vm or kernel)`);
  return b;
}

export function mapByName(coll: Collection, name: string): LoadedMap {
  const map = coll.maps.get(name);
  if (map === undefined) throw new UsageError(`no map '${name}' (maps: ${[...coll.maps.keys()].join(', ')})`);
  return map;
}

/** bpftool prints bytes as "0x.." strings. */
const hexBytes = (b: Uint8Array) => Array.from(b, (x) => `0x${x.toString(16).padStart(2, '0')}`);

/** The map types whose values user space reads per CPU (bpf(2) returns them all at once). */
const PER_CPU = new Set(['PERCPU_ARRAY', 'PERCPU_HASH', 'LRU_PERCPU_HASH', 'PERCPU_CGROUP_STORAGE']);

/** One entry in bpftool's JSON shape: {key, value}, or {key, values: [{cpu, value}]} per CPU. */
export function entryJson(
  map: LoadedMap,
  key: Uint8Array,
  value: Uint8Array,
): { key: string[]; value: string[] } | { key: string[]; values: { cpu: number; value: string[] }[] } {
  if (!PER_CPU.has(map.spec.type)) return { key: hexBytes(key), value: hexBytes(value) };
  // Each CPU's value is rounded up to 8 bytes in the buffer; bpftool prints value_size of each.
  const step = Math.ceil(map.spec.valueSize / 8) * 8;
  const values = [];
  for (let cpu = 0; cpu * step < value.length; cpu++)
    values.push({ cpu, value: hexBytes(value.subarray(cpu * step, cpu * step + map.spec.valueSize)) });
  return { key: hexBytes(key), values };
}

export interface Entry {
  readonly key: string[];
  readonly value: string[];
}

/** Every entry of a map in bpftool's `map dump -j` shape (no BTF formatting), or undefined if the map type cannot be dumped. */
export function dumpMap(map: LoadedMap, limit = 4096): Entry[] | undefined {
  const out: Entry[] = [];
  try {
    let key = map.nextKey();
    while (key !== undefined && out.length < limit) {
      const value = map.lookup(key);
      if (value !== undefined) out.push({ key: hexBytes(key), value: hexBytes(value) });
      key = map.nextKey(key);
    }
  } catch {
    return undefined; // ring buffers, xsk maps and the like have no user-space iteration
  }
  return out;
}

/** One byte of a JSON byte array: 0..255 as a number, or a "0x.."/decimal string. */
function jsonByte(b: unknown, where: string): number {
  const n =
    typeof b === 'number'
      ? b
      : typeof b === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(b)
        ? Number(b)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255)
    throw new UsageError(
      `${where}: expected a byte (0..255 or "0x.."), got ${JSON.stringify(b) ?? String(b)}`,
    );
  return n;
}

/**
 * Bytes from a JSON key or value: ["0x01", 2, ...], "01 02 ..." (hex), or an integer (stored
 * little-endian in `size` bytes; negative ones as two's complement). Anything else, a byte out of
 * range, a number that does not fit or a length other than `size` is refused, naming `where`.
 */
export function jsonBytes(v: unknown, size: number, where: string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof v === 'number') {
    const limit = 2n ** BigInt(size * 8);
    if (!Number.isSafeInteger(v) || BigInt(v) >= limit || BigInt(v) < -(limit / 2n))
      throw new UsageError(`${where}: expected an integer that fits in ${size} bytes, got ${v}`);
    bytes = new Uint8Array(size);
    let x = BigInt.asUintN(size * 8, BigInt(v));
    for (let k = 0; k < size; k++, x >>= 8n) bytes[k] = Number(x & 0xffn);
  } else if (typeof v === 'string') bytes = parseHex(v, where);
  else if (Array.isArray(v)) bytes = Uint8Array.from(v.map((b, k) => jsonByte(b, `${where}[${k}]`)));
  else
    throw new UsageError(
      `${where}: expected a number, a hex string or an array of bytes, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
    );
  if (bytes.length !== size) throw new UsageError(`${where}: expected ${size} bytes, got ${bytes.length}`);
  return bytes;
}

/** Applies a --map-init file: { "map": [ { "key": ..., "value": ... }, ... ] }. `file` names it in messages. */
export function initMaps(coll: Collection, text: string, file = '--map-init'): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UsageError(
      `${file}: expected an object of map names, e.g. {"counts": [{"key": 1, "value": 2}]}`,
    );
  for (const [name, entries] of Object.entries(doc)) {
    const map = coll.maps.get(name);
    if (map === undefined)
      throw new UsageError(
        `${file}: no map '${name}' in the object (maps: ${[...coll.maps.keys()].join(', ') || 'none'})`,
      );
    if (!Array.isArray(entries)) throw new UsageError(`${file}: ${name}: expected an array of {key, value}`);
    for (const [k, e] of entries.entries()) {
      const where = `${file}: ${name}[${k}]`;
      if (typeof e !== 'object' || e === null || Array.isArray(e))
        throw new UsageError(`${where}: expected {"key": ..., "value": ...}, got ${JSON.stringify(e)}`);
      const entry = e as Record<string, unknown>;
      const key = jsonBytes(entry.key, map.spec.keySize, `${where}.key`);
      const value = jsonBytes(entry.value, map.valueSize, `${where}.value`);
      try {
        map.update(key, value);
      } catch (err) {
        if (err instanceof TsbpfError) throw new UsageError(`${where}: ${err.message}`);
        throw err;
      }
    }
  }
}

export interface MapChange {
  readonly key: string[];
  readonly before?: string[];
  readonly after?: string[];
}

/** What changed between two dumps of the same map. */
export function diffDumps(before: Entry[], after: Entry[]): MapChange[] {
  const id = (k: string[]) => k.join(' ');
  const old = new Map(before.map((e) => [id(e.key), e.value]));
  const changes: MapChange[] = [];
  for (const e of after) {
    const prev = old.get(id(e.key));
    old.delete(id(e.key));
    if (prev === undefined) changes.push({ key: e.key, after: e.value });
    else if (id(prev) !== id(e.value)) changes.push({ key: e.key, before: prev, after: e.value });
  }
  for (const e of before) if (old.has(id(e.key))) changes.push({ key: e.key, before: e.value });
  return changes;
}
