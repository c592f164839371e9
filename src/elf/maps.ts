// Map definitions of an object: BTF-defined maps in `.maps` (libbpf's __uint/__type/__array
// conventions, inner maps of map-in-maps, initial prog-array and map-in-map slots from `.rel.maps`)
// and legacy `struct bpf_map_def` entries in `maps`. Global-data maps are in data.ts.

import { ByteReader } from '../btf/bytes.js';
import { resolveId, resolveType, sizeOf, typeName } from '../btf/query.js';
import type { Btf, BtfMember } from '../btf/types.js';
import { LoadError, NotSupportedError } from '../errors.js';
import type { MapContents, MapSpec, Pinning } from '../program/types.js';
import { mapTypeName } from '../uapi/map-types.js';
import * as E from './constants.js';
import type { ElfFile, ElfSection, ElfSymbol } from './reader.js';

/** A map definition and where it sits in its section, for resolving relocations against it. */
export interface PlacedMap {
  readonly spec: MapSpec;
  readonly offset: number;
  readonly size: number;
  /** Byte offset of the `values` member inside the definition (map-in-map, prog array). */
  readonly valuesOffset?: number;
}

interface Def {
  type?: number;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  numaNode?: number;
  pinning?: number;
  mapExtra?: bigint;
  keyType?: number;
  valueType?: number;
  valuesMember?: BtfMember;
  inner?: MapSpec;
}

/** `__uint(name, N)` is `int (*name)[N]`: N is the array's element count. */
function uintField(btf: Btf, m: BtfMember, map: string): number {
  const p = resolveType(btf, m.type);
  if (p.kind === 'ptr') {
    const a = resolveType(btf, p.type);
    if (a.kind === 'array') return a.nelems;
  }
  throw new LoadError(
    'LOAD_ERROR',
    `map ${map}: field '${m.name}' is ${typeName(btf, m.type)}, not __uint(${m.name}, N)`,
  );
}

/** `__ulong(name, N)` is an enum (enum64 for large values) member whose single enumerator is N. */
function ulongField(btf: Btf, m: BtfMember, map: string): bigint {
  const t = resolveType(btf, m.type);
  if ((t.kind === 'enum' || t.kind === 'enum64') && t.values.length === 1)
    return BigInt.asUintN(64, BigInt(t.values[0]!.value));
  return BigInt(uintField(btf, m, map));
}

/** `__type(name, T)` is `T *name`: the pointee. */
function typeField(btf: Btf, m: BtfMember, map: string): number {
  const p = resolveType(btf, m.type);
  if (p.kind !== 'ptr')
    throw new LoadError('LOAD_ERROR', `map ${map}: field '${m.name}' is not __type(${m.name}, T)`);
  return p.type;
}

const PIN_NONE = 0;
const PIN_BY_NAME = 1;

function pinning(v: number | undefined, map: string): Pinning {
  if (v === undefined || v === PIN_NONE) return 'none';
  if (v === PIN_BY_NAME) return 'by-name';
  throw new LoadError(
    'LOAD_ERROR',
    `map ${map}: pinning ${v} is neither LIBBPF_PIN_NONE nor LIBBPF_PIN_BY_NAME`,
  );
}

function isMapInMap(type: number | undefined): boolean {
  return type === 12 || type === 13; // BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS
}
const PROG_ARRAY = 3;

function parseDef(btf: Btf, structId: number, name: string, sectionName: string, inner: boolean): Def {
  const st = resolveType(btf, structId);
  if (st.kind !== 'struct')
    throw new LoadError('LOAD_ERROR', `map ${name}: definition is ${typeName(btf, structId)}, not a struct`);
  const d: Def = {};
  for (const m of st.members) {
    switch (m.name) {
      case 'type':
        d.type = uintField(btf, m, name);
        break;
      case 'max_entries':
        d.maxEntries = uintField(btf, m, name);
        break;
      case 'map_flags':
        d.flags = uintField(btf, m, name);
        break;
      case 'numa_node':
        d.numaNode = uintField(btf, m, name);
        break;
      case 'pinning':
        d.pinning = uintField(btf, m, name);
        break;
      case 'map_extra':
        d.mapExtra = ulongField(btf, m, name);
        break;
      case 'key_size':
        d.keySize = uintField(btf, m, name);
        break;
      case 'value_size':
        d.valueSize = uintField(btf, m, name);
        break;
      case 'key': {
        d.keyType = typeField(btf, m, name);
        const size = sizeOf(btf, d.keyType);
        if (d.keySize !== undefined && d.keySize !== size) {
          throw new LoadError(
            'LOAD_ERROR',
            `map ${name}: key_size ${d.keySize} disagrees with sizeof(key) ${size}`,
          );
        }
        d.keySize = size;
        break;
      }
      case 'value': {
        d.valueType = typeField(btf, m, name);
        const size = sizeOf(btf, d.valueType);
        if (d.valueSize !== undefined && d.valueSize !== size) {
          throw new LoadError(
            'LOAD_ERROR',
            `map ${name}: value_size ${d.valueSize} disagrees with sizeof(value) ${size}`,
          );
        }
        d.valueSize = size;
        break;
      }
      case 'values': {
        if (inner) throw new LoadError('LOAD_ERROR', `map ${name}: an inner map cannot have 'values'`);
        const arr = resolveType(btf, m.type);
        if (arr.kind !== 'array') throw new LoadError('LOAD_ERROR', `map ${name}: 'values' is not an array`);
        const ptr = resolveType(btf, arr.type);
        if (ptr.kind !== 'ptr')
          throw new LoadError('LOAD_ERROR', `map ${name}: 'values' elements are not pointers`);
        d.valuesMember = m;
        const pointee = resolveType(btf, ptr.type);
        if (pointee.kind === 'struct') {
          const innerDef = parseDef(btf, resolveId(btf, ptr.type), `${name}.inner`, sectionName, true);
          d.inner = specOf(innerDef, `${name}.inner`, sectionName);
        } else if (pointee.kind !== 'func_proto') {
          throw new LoadError(
            'LOAD_ERROR',
            `map ${name}: 'values' must point to map definitions or functions`,
          );
        }
        break;
      }
      default:
        throw new LoadError('LOAD_ERROR', `map ${name}: unknown field '${m.name}' in its definition`);
    }
  }
  if (d.valuesMember !== undefined) {
    const mim = isMapInMap(d.type);
    if (!mim && d.type !== PROG_ARRAY)
      throw new LoadError('LOAD_ERROR', `map ${name}: 'values' needs a map-in-map or prog array`);
    if (mim && d.inner === undefined)
      throw new LoadError('LOAD_ERROR', `map ${name}: map-in-map 'values' must point to a map definition`);
    // Slots hold fds: libbpf defaults key and value to 4 bytes.
    d.keySize ??= 4;
    d.valueSize ??= 4;
  }
  return d;
}

function specOf(d: Def, name: string, sectionName: string, contents?: MapContents): MapSpec {
  if (d.type === undefined) throw new LoadError('LOAD_ERROR', `map ${name}: definition has no 'type'`);
  const type = mapTypeName(d.type);
  if (type === undefined) throw new LoadError('LOAD_ERROR', `map ${name}: unknown map type ${d.type}`);
  const spec: { -readonly [K in keyof MapSpec]: MapSpec[K] } = {
    name,
    type,
    keySize: d.keySize ?? 0,
    valueSize: d.valueSize ?? 0,
    maxEntries: d.maxEntries ?? 0,
    flags: d.flags ?? 0,
    pinning: pinning(d.pinning, name),
    sectionName,
  };
  if (d.numaNode !== undefined) spec.numaNode = d.numaNode;
  if (d.mapExtra !== undefined) spec.mapExtra = d.mapExtra;
  if (d.inner !== undefined) spec.innerMap = d.inner;
  if (contents !== undefined) spec.contents = contents;
  if (d.keyType !== undefined) spec.btfKeyType = d.keyType;
  if (d.valueType !== undefined) spec.btfValueType = d.valueType;
  return spec;
}

/** Reads the BTF-defined maps of `.maps`, in section order, with slots filled from its relocations. */
export function btfMaps(elf: ElfFile, section: ElfSection, btf: Btf | undefined): PlacedMap[] {
  if (btf === undefined)
    throw new LoadError('LOAD_ERROR', 'section .maps: BTF-defined maps need a .BTF section');
  const ds = btf.types.find((t) => t.kind === 'datasec' && t.name === section.name);
  if (ds === undefined || ds.kind !== 'datasec') {
    throw new LoadError('LOAD_ERROR', `section ${section.name}: no BTF DATASEC describes it`);
  }
  const placed: { name: string; def: Def; offset: number; size: number }[] = [];
  for (const v of ds.vars) {
    const variable = btf.types[v.type];
    if (variable?.kind !== 'var')
      throw new LoadError('LOAD_ERROR', `section ${section.name}: DATASEC entry ${v.type} is not a VAR`);
    const name = variable.name;
    if (v.offset + v.size > section.size)
      throw new LoadError('ELF_INVALID', `map ${name}: lies outside section ${section.name}`);
    placed.push({
      name,
      def: parseDef(btf, variable.type, name, section.name, false),
      offset: v.offset,
      size: v.size,
    });
  }
  placed.sort((a, b) => a.offset - b.offset);

  // .rel.maps: each relocation fills one `values` slot with a program or a map.
  const slots = new Map<string, { index: number; target: string }[]>();
  for (const rel of elf.relocations.get(section.index) ?? []) {
    const where = `section .rel${section.name}: relocation at offset ${rel.offset}`;
    const p = placed.find((x) => rel.offset >= x.offset && rel.offset < x.offset + x.size);
    if (p === undefined || p.def.valuesMember === undefined)
      throw new LoadError('LOAD_ERROR', `${where} is not inside a 'values' array`);
    const rel0 = rel.offset - p.offset - p.def.valuesMember.bitOffset / 8;
    if (rel0 < 0 || rel0 % 8 !== 0)
      throw new LoadError('LOAD_ERROR', `${where} is not at a slot of map ${p.name}`);
    const index = rel0 / 8;
    if (p.def.maxEntries !== undefined && index >= p.def.maxEntries) {
      throw new LoadError(
        'LOAD_ERROR',
        `map ${p.name}: initial slot ${index} is beyond max_entries ${p.def.maxEntries}`,
      );
    }
    const sym = elf.symbols[rel.symbol]!;
    if (sym.section === E.SHN_UNDEF)
      throw new NotSupportedError('extern maps or programs in .maps', `${where}: '${sym.name}'`);
    const list = slots.get(p.name) ?? [];
    list.push({ index, target: sym.name });
    slots.set(p.name, list);
    if (isMapInMap(p.def.type) && sym.section !== section.index) {
      throw new LoadError(
        'LOAD_ERROR',
        `${where}: map-in-map slot refers to '${sym.name}', which is not a map`,
      );
    }
    if (p.def.type === PROG_ARRAY && sym.type !== E.STT_FUNC) {
      throw new LoadError(
        'LOAD_ERROR',
        `${where}: prog-array slot refers to '${sym.name}', which is not a function`,
      );
    }
  }
  return placed.map((p) => {
    const s = (slots.get(p.name) ?? []).sort((a, b) => a.index - b.index);
    let contents: MapContents | undefined;
    if (s.length > 0) {
      contents = isMapInMap(p.def.type)
        ? { kind: 'maps', slots: s.map((x) => ({ index: x.index, map: x.target })) }
        : { kind: 'programs', slots: s.map((x) => ({ index: x.index, program: x.target })) };
    }
    // Without max_entries, the initialised slots decide the size (as the C initialiser does).
    const def =
      p.def.maxEntries === undefined && s.length > 0 ? { ...p.def, maxEntries: s.at(-1)!.index + 1 } : p.def;
    const base = { spec: specOf(def, p.name, section.name, contents), offset: p.offset, size: p.size };
    return p.def.valuesMember === undefined
      ? base
      : { ...base, valuesOffset: p.def.valuesMember.bitOffset / 8 };
  });
}

/** sizeof(struct bpf_map_def): type, key_size, value_size, max_entries, map_flags (all u32). */
const LEGACY_DEF_SIZE = 20;

/** Reads legacy `struct bpf_map_def` maps from the `maps` section, one per symbol. */
export function legacyMaps(elf: ElfFile, section: ElfSection): PlacedMap[] {
  const syms: ElfSymbol[] = elf.symbols
    .filter((y) => y.section === section.index && y.type !== E.STT_SECTION && y.type !== E.STT_FILE)
    .sort((a, b) => a.value - b.value || a.index - b.index);
  if (syms.length === 0) {
    if (section.size === 0) return [];
    throw new LoadError('LOAD_ERROR', `section ${section.name}: map definitions without symbols`);
  }
  // As libbpf did: every definition has the same size, the section size over the symbol count.
  const defSize = Math.floor(section.size / syms.length);
  if (defSize < LEGACY_DEF_SIZE || section.size % syms.length !== 0) {
    throw new LoadError(
      'LOAD_ERROR',
      `section ${section.name}: ${section.size} bytes do not hold ${syms.length} struct bpf_map_def`,
    );
  }
  const r = new ByteReader(section.data, elf.littleEndian, `section ${section.name}`);
  return syms.map((y) => {
    const at = y.value;
    r.check(at, defSize, `map ${y.name}`);
    for (let k = LEGACY_DEF_SIZE; k < defSize; k++) {
      if (section.data[at + k] !== 0) {
        throw new NotSupportedError(
          'legacy map definition fields beyond struct bpf_map_def',
          `map ${y.name}`,
        );
      }
    }
    const def: Def = {
      type: r.u32(at, `map ${y.name} type`),
      keySize: r.u32(at + 4, `map ${y.name} key_size`),
      valueSize: r.u32(at + 8, `map ${y.name} value_size`),
      maxEntries: r.u32(at + 12, `map ${y.name} max_entries`),
      flags: r.u32(at + 16, `map ${y.name} map_flags`),
    };
    return { spec: specOf(def, y.name, section.name), offset: at, size: defSize };
  });
}
