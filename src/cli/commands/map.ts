// `tsbpf map show|dump|lookup|update|delete OBJ ...`: the maps of a freshly loaded object (VM
// or kernel backend), after an optional --map-init, in bpftool's grammar and JSON shapes:
//   map dump OBJ MAP            map lookup OBJ MAP key BYTES
//   map update OBJ MAP key BYTES value BYTES [any|noexist|exist]
//   map delete OBJ MAP key BYTES           map show OBJ
// BYTES are bpftool's: separate tokens (decimal or 0x..), or `hex` followed by hex digits.

import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, type LoadedMap } from '../../index.js';
import { parse, UsageError, usageLine } from '../args.js';
import { EXIT_NOT_FOUND } from '../exit.js';
import { readText } from '../files.js';
import { parseHex } from '../hex.js';
import { backendOption, dumpMap, entryJson, initMaps, loadObject, mapByName } from '../loaded.js';
import type { Output } from '../output.js';

export const mapUsage = `Usage: tsbpf map { show | list } OBJ [--json]
       tsbpf map dump OBJ MAP
       tsbpf map lookup OBJ MAP key BYTES
       tsbpf map update OBJ MAP key BYTES value BYTES [any|noexist|exist]
       tsbpf map delete OBJ MAP key BYTES
       tsbpf map help
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

export async function mapCommand(argv: string[], out: Output): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || !['show', 'list', 'dump', 'lookup', 'update', 'delete'].includes(verb))
    throw usageLine('map', `show, list, dump, lookup, update or delete, got '${verb ?? 'nothing'}'`);
  const { values, positionals } = parse(`map ${verb}`, rest, {
    'map-init': { type: 'string' },
    backend: { type: 'string' },
    'target-btf': { type: 'string' },
  });
  const [file, mapName, ...tokens] = positionals;
  if (file === undefined) throw usageLine(`map ${verb}`, 'OBJ');
  const coll = await loadObject(file, backendOption(values.backend), {
    targetBtf: values['target-btf'] as string | undefined,
  });
  try {
    if (typeof values['map-init'] === 'string')
      initMaps(coll, readText(values['map-init'], '--map-init'), values['map-init']);
    if (verb === 'show' || verb === 'list') {
      const rows = [...coll.maps.values()].map(show);
      out.data(rows);
      for (const r of rows) {
        out.text(`${r.name}: ${r.type}  flags 0x${r.flags.toString(16)}`);
        out.text(`\tkey ${r.bytes_key}B  value ${r.bytes_value}B  max_entries ${r.max_entries}`);
      }
      return 0;
    }
    if (mapName === undefined) throw usageLine(`map ${verb}`, 'OBJ MAP');
    const map = mapByName(coll, mapName);
    if (verb === 'dump') {
      const raw = dumpMap(map, Number.POSITIVE_INFINITY);
      if (raw === undefined)
        throw new UsageError(
          `map ${mapName} (${map.spec.type.toLowerCase()}) cannot be dumped from user space`,
        );
      const entries = raw.map((e) => entryJson(map, fromHex(e.key), fromHex(e.value)));
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
      const e = entryJson(map, key, value);
      out.data(e);
      out.text(entryText(e));
    } else if (verb === 'delete') {
      map.delete(key);
      out.data(null);
      out.text(`deleted key ${spaced(hexArray(key))} ${NOTE}`);
    } else {
      const [value, afterValue] = takeBytes(afterKey, 'value', map.valueSize);
      const flag = afterValue[0] ?? 'any';
      if (!(flag in FLAGS)) throw new UsageError(`unknown update flag '${flag}' (any, noexist, exist)`);
      map.update(key, value, FLAGS[flag]);
      out.data(null);
      out.text(`updated key ${spaced(hexArray(key))} ${NOTE}`);
    }
    return 0;
  } finally {
    coll.close();
  }
}
