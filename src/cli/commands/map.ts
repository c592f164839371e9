// `tsbpf map show|dump|lookup|update|delete OBJ ...`: the maps of a freshly loaded object (VM
// or kernel backend), after an optional --map-init, in bpftool's grammar and JSON shapes:
//   map dump OBJ MAP            map lookup OBJ MAP key BYTES
//   map update OBJ MAP key BYTES value BYTES [any|noexist|exist]
//   map delete OBJ MAP key BYTES           map show OBJ
// BYTES are bpftool's: separate tokens (decimal or 0x..), or `hex` followed by hex digits.

import {
  BPF_ANY,
  BPF_EXIST,
  BPF_NOEXIST,
  type Btf,
  formatBtf,
  type LoadedMap,
  NotSupportedError,
  parseBtf,
} from '../../index.js';
import type { KernelMap } from '../../kernel/index.js';
import { parse, UsageError, usageLine } from '../args.js';
import { EXIT_NOT_FOUND } from '../exit.js';
import { readText } from '../files.js';
import { parseHex } from '../hex.js';
import { type KernelForm, kernelForm, kernelModule, loadedKernelMap } from '../kernel-objects.js';
import { backendOption, dumpMap, entryJson, initMaps, loadObject, mapByName } from '../loaded.js';
import type { Output } from '../output.js';

export const mapUsage = `Usage: tsbpf map { show | list } [OBJ | MAP] [--json]
       tsbpf map dump OBJ MAP
       tsbpf map lookup OBJ MAP key BYTES
       tsbpf map update OBJ MAP key BYTES value BYTES [any|noexist|exist]
       tsbpf map delete OBJ MAP key BYTES
       tsbpf map pin MAP FILE
       tsbpf map help
  MAP (a map in the running kernel, as bpftool names it): id N | pinned PATH | name NAME; its
  changes are real. 'map show' alone lists every map in the kernel. A dump or lookup of a
  kernel map with BTF adds bpftool's "formatted" member (key and value through their types).
  Options of each: [--map-init FILE.json] [--backend vm|kernel] [--target-btf FILE] [--json]
  Works on the maps of OBJ freshly loaded (plus --map-init): an object is not a pinned map, so a
  change by update or delete lasts for this command only (say so to --map-init next time).
  JSON as bpftool's (per-CPU maps as values: [{cpu, value}]). BYTES: 1 2 0x03 ... or hex 010203.
  lookup of a missing key prints "Not found" (JSON null) and exits 254, as bpftool (-ENOENT).`;

const FLAGS: Record<string, number> = { any: BPF_ANY, noexist: BPF_NOEXIST, exist: BPF_EXIST };
const fromHex = (b: string[]) => Uint8Array.from(b, (x) => Number(x));
const hexArray = (b: Uint8Array) => Array.from(b, (x) => `0x${x.toString(16).padStart(2, '0')}`);

/** Reads `word BYTES` from the token list; returns the bytes and the remaining tokens. */
function takeBytes(tokens: string[], word: string, size: number): [Uint8Array, string[]] {
  if (tokens[0] !== word) throw new UsageError(`expected '${word}', got '${tokens[0] ?? 'nothing'}'`);
  let rest = tokens.slice(1);
  let bytes: Uint8Array;
  if (rest[0] === 'hex') {
    const end = rest.findIndex((t, k) => k > 0 && !/^[0-9a-fA-F]+$/.test(t));
    const hexTokens = rest.slice(1, end < 0 ? undefined : end);
    bytes = parseHex(hexTokens.join(''), word);
    rest = rest.slice(1 + hexTokens.length);
  } else {
    const taken: number[] = [];
    while (rest.length > 0 && taken.length < size && /^(0x[0-9a-fA-F]+|\d+)$/.test(rest[0]!)) {
      const v = Number(rest.shift());
      if (v > 255) throw new UsageError(`${word}: byte value ${v} is larger than 255`);
      taken.push(v);
    }
    bytes = Uint8Array.from(taken);
  }
  if (bytes.length !== size) throw new UsageError(`${word}: expected ${size} bytes, got ${bytes.length}`);
  return [bytes, rest];
}

/** bpftool's `map show -j` fields that an object's map has (no id, memlock or BTF id before pinning). */
function show(map: LoadedMap) {
  const s = map.spec;
  return {
    type: s.type.toLowerCase(),
    name: map.name,
    flags: s.flags,
    bytes_key: s.keySize,
    bytes_value: s.valueSize,
    max_entries: s.maxEntries,
    frozen: 0,
  };
}

const NOTE = '(an object, not a pinned map: the change lasts for this command only)';
const spaced = (b: string[]) => b.map((x) => x.slice(2)).join(' ');
/** bpftool's text form of an entry: per-CPU maps one value line per CPU. */
function entryText(e: ReturnType<typeof entryJson>): string {
  if ('value' in e) return `key: ${spaced(e.key)}  value: ${spaced(e.value)}`;
  return [
    `key: ${spaced(e.key)}`,
    ...e.values.map((v) => `value (CPU ${String(v.cpu).padStart(2, '0')}): ${spaced(v.value)}`),
  ].join('\n');
}

/** bpftool's `map show -j` of a map in the kernel (bytes_memlock where fdinfo has it, btf_id when set). */
async function kernelShow(map: KernelMap) {
  const { mapDetails } = await import('../../kernel/index.js');
  const d = mapDetails(map.fd);
  return {
    id: d.id,
    type: d.type.toLowerCase(),
    name: d.name,
    flags: d.flags,
    bytes_key: d.keySize,
    bytes_value: d.valueSize,
    max_entries: d.maxEntries,
    ...(d.memlock === undefined ? {} : { bytes_memlock: d.memlock }),
    frozen: d.frozen ? 1 : 0,
    ...(d.btfId === 0 ? {} : { btf_id: d.btfId }),
  };
}

function printShow(out: Output, r: Awaited<ReturnType<typeof kernelShow>> | ReturnType<typeof show>): void {
  out.text(`${'id' in r ? `${r.id}: ` : ''}${r.type}  name ${r.name}  flags 0x${r.flags.toString(16)}`);
  const memlock = 'bytes_memlock' in r ? `  memlock ${r.bytes_memlock}B` : '';
  out.text(`\tkey ${r.bytes_key}B  value ${r.bytes_value}B  max_entries ${r.max_entries}${memlock}`);
  if ('btf_id' in r) out.text(`\tbtf_id ${r.btf_id}`);
}

/**
 * bpftool's "formatted" member of a dumped entry: key and value read through the map's BTF
 * (kernel maps loaded with BTF); undefined without BTF or for a type tsbpf cannot format.
 */
type Formatter = (e: ReturnType<typeof entryJson>, key: Uint8Array, value: Uint8Array) => unknown;

async function btfFormatter(map: KernelMap): Promise<Formatter | undefined> {
  const { mapDetails, btfBytes } = await import('../../kernel/index.js');
  const d = mapDetails(map.fd);
  if (d.btfId === 0 || d.btfValueTypeId === 0) return undefined;
  let btf: Btf;
  try {
    btf = parseBtf(btfBytes(d.btfId), `the BTF of map ${d.id}`);
  } catch {
    return undefined; // split BTF (a module's) or a kernel that will not give it: no formatting
  }
  const step = Math.ceil(d.valueSize / 8) * 8;
  return (e, key, value) => {
    try {
      // A key without BTF (an array's u32 index may be declared as one) prints as a number too.
      const k = d.btfKeyTypeId === 0 ? undefined : formatBtf(btf, d.btfKeyTypeId, key);
      const keyPart = k === undefined ? {} : { key: k };
      if ('value' in e) return { ...keyPart, value: formatBtf(btf, d.btfValueTypeId, value) };
      return {
        ...keyPart,
        values: e.values.map((v) => ({
          cpu: v.cpu,
          value: formatBtf(btf, d.btfValueTypeId, value.subarray(v.cpu * step, v.cpu * step + d.valueSize)),
        })),
      };
    } catch (err) {
      if (err instanceof NotSupportedError) return undefined;
      throw err;
    }
  };
}

/** `map VERB id N | pinned PATH | name NAME ...`: a map in the running kernel; changes are real. */
async function kernelMapCommand(verb: string, form: KernelForm, out: Output): Promise<number> {
  const kernel = await kernelModule(`map ${verb} ${form.label}`);
  const km = kernel.openMap(form.ref);
  try {
    if (verb === 'show' || verb === 'list') {
      const row = await kernelShow(km);
      out.data(row);
      printShow(out, row);
      return 0;
    }
    if (verb === 'pin') {
      const [path, ...extra] = form.rest;
      if (path === undefined || extra.length > 0)
        throw usageLine('map pin', `MAP FILE, got '${form.rest.join(' ')}'`);
      km.pin(path);
      out.data(null);
      out.text(`pinned map ${km.id} at ${path}`);
      return 0;
    }
    const map = await loadedKernelMap(km);
    const format = await btfFormatter(km);
    return entryVerb(verb, map, form.rest, out, '', format);
  } finally {
    km.close();
  }
}

export async function mapCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || !['show', 'list', 'dump', 'lookup', 'update', 'delete', 'pin'].includes(verb))
    throw usageLine('map', `show, list, dump, lookup, update, delete or pin, got '${verb ?? 'nothing'}'`);
  const form = kernelForm(rest, 'map');
  if (form !== undefined) return kernelMapCommand(verb, form, out);
  if (verb === 'pin') throw usageLine('map pin', 'MAP as id N, pinned PATH or name NAME, then FILE');
  const { values, positionals } = parse(`map ${verb}`, rest, {
    'map-init': { type: 'string' },
    backend: { type: 'string' },
    'target-btf': { type: 'string' },
  });
  const [file, mapName, ...tokens] = positionals;
  if (file === undefined) {
    if (verb === 'show' || verb === 'list') return kernelMapList(out);
    throw usageLine(`map ${verb}`, 'OBJ MAP, or MAP as id N, pinned PATH or name NAME');
  }
  const coll = await loadObject(file, backendOption(values.backend), {
    targetBtf: values['target-btf'] as string | undefined,
  });
  try {
    if (typeof values['map-init'] === 'string')
      initMaps(coll, readText(values['map-init'], '--map-init'), values['map-init']);
    if (verb === 'show' || verb === 'list') {
      const rows = [...coll.maps.values()].map(show);
      out.data(rows);
      for (const r of rows) printShow(out, r);
      return 0;
    }
    if (mapName === undefined) throw usageLine(`map ${verb}`, 'OBJ MAP');
    return entryVerb(verb, mapByName(coll, mapName), tokens, out, ` ${NOTE}`, undefined);
  } finally {
    coll.close();
  }
}

/** `map show` alone: every map in the kernel, as bpftool lists them. */
async function kernelMapList(out: Output): Promise<number> {
  const kernel = await kernelModule('map show');
  const { objectIds } = await import('../../kernel/index.js');
  const rows = [];
  for (const id of objectIds('map')) {
    let km: KernelMap;
    try {
      km = kernel.openMap({ id });
    } catch {
      continue; // gone since the walk saw it
    }
    try {
      rows.push(await kernelShow(km));
    } finally {
      km.close();
    }
  }
  out.data(rows);
  for (const r of rows) printShow(out, r);
  return 0;
}

/** dump, lookup, update, delete on one map; `note` follows a change's line. */
function entryVerb(
  verb: string,
  map: LoadedMap,
  tokens: string[],
  out: Output,
  note: string,
  format: Formatter | undefined,
): number {
  const withFormatted = (key: Uint8Array, value: Uint8Array) => {
    const e = entryJson(map, key, value);
    const f = format?.(e, key, value);
    return f === undefined ? e : { ...e, formatted: f };
  };
  if (verb === 'dump') {
    if (tokens.length > 0) throw usageLine('map dump', `nothing after the map, got '${tokens.join(' ')}'`);
    const raw = dumpMap(map, Number.POSITIVE_INFINITY);
    if (raw === undefined)
      throw new UsageError(
        `map ${map.name} (${map.spec.type.toLowerCase()}) cannot be dumped from user space`,
      );
    const entries = raw.map((e) => withFormatted(fromHex(e.key), fromHex(e.value)));
    out.data(entries);
    for (const e of entries) out.text(entryText(e));
    out.text(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
    return 0;
  }
  const [key, afterKey] = takeBytes(tokens, 'key', map.spec.keySize);
  if (verb === 'lookup') {
    const value = map.lookup(key);
    if (value === undefined) {
      out.data(null);
      out.text(`key: ${spaced(hexArray(key))}  Not found`);
      return EXIT_NOT_FOUND;
    }
    const e = withFormatted(key, value);
    out.data(e);
    out.text(entryText(e));
  } else if (verb === 'delete') {
    map.delete(key);
    out.data(null);
    out.text(`deleted key ${spaced(hexArray(key))}${note}`);
  } else {
    const [value, afterValue] = takeBytes(afterKey, 'value', map.valueSize);
    const flag = afterValue[0] ?? 'any';
    if (!(flag in FLAGS)) throw new UsageError(`unknown update flag '${flag}' (any, noexist, exist)`);
    map.update(key, value, FLAGS[flag]);
    out.data(null);
    out.text(`updated key ${spaced(hexArray(key))}${note}`);
  }
  return 0;
}
