// `tsbpf map show|dump|lookup|update|delete OBJ ...`: the maps of a freshly loaded object (VM
// or kernel backend), after an optional --map-init, in bpftool's grammar and JSON shapes:
//   map dump OBJ MAP            map lookup OBJ MAP key BYTES
//   map update OBJ MAP key BYTES value BYTES [any|noexist|exist]
//   map delete OBJ MAP key BYTES           map show OBJ
// BYTES are bpftool's: separate tokens (decimal or 0x..), or `hex` followed by hex digits.

import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, type LoadedMap } from '../../index.js';
import { parse, UsageError, usageLine } from '../args.js';
import { readText } from '../files.js';
import { parseHex } from '../hex.js';
import { backendOption, dumpMap, initMaps, loadObject, mapByName } from '../loaded.js';
import type { Output } from '../output.js';

export const mapUsage = `Usage: tsbpf map { show | dump | lookup | update | delete } OBJ [MAP] [key BYTES] [value BYTES] [any|noexist|exist]
                 [--map-init FILE.json] [--backend vm|kernel] [--target-btf FILE] [--json]
  Works on the maps of OBJ as loaded (plus --map-init). BYTES: 1 2 0x03 ... or hex 010203.`;

const FLAGS: Record<string, number> = { any: BPF_ANY, noexist: BPF_NOEXIST, exist: BPF_EXIST };
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

function show(map: LoadedMap) {
  const s = map.spec;
  return {
    name: map.name,
    type: s.type.toLowerCase(),
    key: s.keySize,
    value: s.valueSize,
    max_entries: s.maxEntries,
    flags: s.flags,
  };
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
      for (const r of rows)
        out.text(
          `${r.name}: ${r.type}  key ${r.key}B  value ${r.value}B  max_entries ${r.max_entries}  flags 0x${r.flags.toString(16)}`,
        );
      return 0;
    }
    if (mapName === undefined) throw usageLine(`map ${verb}`, 'OBJ MAP');
    const map = mapByName(coll, mapName);
    if (verb === 'dump') {
      const entries = dumpMap(map, Number.POSITIVE_INFINITY);
      if (entries === undefined)
        throw new UsageError(`map ${mapName} (${map.spec.type}) cannot be dumped from user space`);
      out.data(entries);
      for (const e of entries)
        out.text(
          `key: ${e.key.map((b) => b.slice(2)).join(' ')}  value: ${e.value.map((b) => b.slice(2)).join(' ')}`,
        );
      out.text(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
      return 0;
    }
    const [key, afterKey] = takeBytes(tokens, 'key', map.spec.keySize);
    if (verb === 'lookup') {
      const value = map.lookup(key);
      if (value === undefined)
        throw new UsageError(`map ${mapName}: no entry for key ${hexArray(key).join(' ')}`);
      out.data({ key: hexArray(key), value: hexArray(value) });
      out.text(`key: ${hexArray(key).join(' ')}  value: ${hexArray(value).join(' ')}`);
    } else if (verb === 'delete') {
      map.delete(key);
      out.data(null);
      out.text(`deleted key ${hexArray(key).join(' ')}`);
    } else {
      const [value, afterValue] = takeBytes(afterKey, 'value', map.valueSize);
      const flag = afterValue[0] ?? 'any';
      if (!(flag in FLAGS)) throw new UsageError(`unknown update flag '${flag}' (any, noexist, exist)`);
      map.update(key, value, FLAGS[flag]);
      out.data(null);
      out.text(`updated key ${hexArray(key).join(' ')}`);
    }
    return 0;
  } finally {
    coll.close();
  }
}
