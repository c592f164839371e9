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
} from '../index.js';
import { UsageError } from './args.js';
import { parseHex } from './hex.js';
import { readBytes } from './input.js';

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
}

export async function loadObject(
  file: string,
  backend: BackendName,
  { targetBtf, type, engine = 'jit' }: LoadObjectOptions = {},
): Promise<Collection> {
  const parsed = loadCollectionSpec(readBytes(file));
  const spec =
    type === undefined
      ? parsed
      : { ...parsed, programs: parsed.programs.map((p) => (p.type === 'UNSPEC' ? { ...p, type } : p)) };
  const btf = targetBtf === undefined ? {} : { targetBtf: parseBtf(readBytes(targetBtf)) };
  if (backend === 'kernel') {
    const kernel = await import('../kernel/index.js');
    const available = kernel.bpfAvailability();
    if (!available.ok) throw new NotSupportedError('the kernel backend', available.reason);
    return kernel.loadKernel(spec, btf);
  }
  return load(spec, { ...btf, engine });
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

/** Bytes from a JSON key or value: ["0x01", 2, ...], "01 02 ...", or a number (little-endian, `size` bytes). */
export function jsonBytes(v: unknown, size: number, what: string): Uint8Array {
  if (typeof v === 'number' || typeof v === 'bigint') {
    const out = new Uint8Array(size);
    let x = BigInt.asUintN(size * 8, BigInt(v));
    for (let k = 0; k < size; k++, x >>= 8n) out[k] = Number(x & 0xffn);
    return out;
  }
  if (typeof v === 'string') return parseHex(v, what);
  if (Array.isArray(v)) return Uint8Array.from(v.map((b) => (typeof b === 'string' ? Number(b) : Number(b))));
  throw new UsageError(`${what}: expected a number, a hex string or an array of bytes`);
}

/** Applies a --map-init file: { "map": [ { "key": ..., "value": ... }, ... ] }. */
export function initMaps(coll: Collection, text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--map-init: not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UsageError('--map-init: expected an object of map names');
  for (const [name, entries] of Object.entries(doc)) {
    const map = mapByName(coll, name);
    if (!Array.isArray(entries))
      throw new UsageError(`--map-init: ${name}: expected an array of {key, value}`);
    for (const [k, e] of entries.entries()) {
      const where = `--map-init: ${name}[${k}]`;
      map.update(
        jsonBytes(e.key, map.spec.keySize, `${where}.key`),
        jsonBytes(e.value, map.valueSize, `${where}.value`),
      );
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
