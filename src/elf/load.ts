// loadCollectionSpec: ELF object bytes in, CollectionSpec out — pure and deterministic (the same
// bytes give a deep-equal spec). Follows libbpf's conventions for section names, maps, global
// data, license and version; what it recognises but does not implement throws NotSupportedError.

import { decodeText } from '../btf/bytes.js';
import { type BtfExt, parseBtfExt } from '../btf/ext.js';
import { fixupDatasecs } from '../btf/fixup.js';
import { parseBtf } from '../btf/parse.js';
import type { Btf } from '../btf/types.js';
import { LoadError, NotSupportedError } from '../errors.js';
import { linkProgram } from '../program/link.js';
import type { CollectionSpec, MapSpec, ProgramSpec, VariableSpec } from '../program/types.js';
import { findSectionDef } from '../uapi/sections.js';
import { codeSections, extractFunctions } from './code.js';
import * as E from './constants.js';
import { dataMap, dataVariables, isDataSection } from './data.js';
import { btfMaps, legacyMaps, type PlacedMap } from './maps.js';
import { type ElfFile, type ElfSection, readElf } from './reader.js';

/** Sections libbpf gives meaning to that tsbpf does not implement. */
function rejectUnsupported(s: ElfSection): void {
  if (s.name === '.struct_ops' || s.name === '.struct_ops.link') {
    throw new NotSupportedError('struct_ops maps', `section ${s.name}`);
  }
  if (s.name.startsWith('.addr_space.'))
    throw new NotSupportedError('BPF arena (.addr_space.1)', `section ${s.name}`);
  if (s.name === '.kconfig' || s.name === '.ksyms') {
    throw new NotSupportedError('extern variables (.kconfig/.ksyms)', `section ${s.name}`);
  }
}

function license(elf: ElfFile): string {
  const s = elf.sections.find((x) => x.name === 'license');
  if (s === undefined) return '';
  const end = s.data.indexOf(0);
  return decodeText(end < 0 ? s.data : s.data.subarray(0, end));
}

function version(elf: ElfFile): number | undefined {
  const s = elf.sections.find((x) => x.name === 'version');
  if (s === undefined) return undefined;
  if (s.size !== 4) throw new LoadError('ELF_INVALID', `section version: size ${s.size} is not 4`);
  return new DataView(s.data.buffer, s.data.byteOffset, 4).getUint32(0, elf.littleEndian);
}

function loadBtf(elf: ElfFile): { btf?: Btf; ext?: BtfExt } {
  const s = elf.sections.find((x) => x.name === '.BTF');
  if (s === undefined) return {};
  let btf = parseBtf(s.data);
  btf = fixupDatasecs(btf, {
    sectionSize: (name) => elf.sections.find((x) => x.name === name)?.size,
    variableOffset: (section, name) => {
      const sec = elf.sections.find((x) => x.name === section);
      if (sec === undefined) return undefined;
      return elf.symbols.find((y) => y.section === sec.index && y.name === name && y.type === E.STT_OBJECT)
        ?.value;
    },
  });
  const x = elf.sections.find((y) => y.name === '.BTF.ext');
  return x === undefined ? { btf } : { btf, ext: parseBtfExt(x.data, btf) };
}

export function loadCollectionSpec(bytes: Uint8Array): CollectionSpec {
  const elf = readElf(bytes);
  for (const s of elf.sections) rejectUnsupported(s);
  const { btf, ext } = loadBtf(elf);
  const code = codeSections(elf);

  // Map definitions, by section, so relocations can find a map by (section, offset).
  const placed = new Map<number, PlacedMap[]>();
  const maps: MapSpec[] = [];
  for (const s of elf.sections) {
    let list: PlacedMap[] | undefined;
    if (s.name === '.maps') list = btfMaps(elf, s, btf);
    else if (s.name === 'maps') list = legacyMaps(elf, s);
    if (list === undefined) continue;
    placed.set(s.index, list);
    for (const p of list) maps.push(p.spec);
  }
  const variables: VariableSpec[] = [];
  const dataSections = new Map<number, string>();
  for (const s of elf.sections) {
    if (!isDataSection(s) || s.size === 0) continue;
    dataSections.set(s.index, s.name);
    maps.push(dataMap(s, btf));
    variables.push(...dataVariables(elf, s, btf));
  }
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new LoadError('LOAD_ERROR', `map name '${m.name}' is defined twice`);
    seen.add(m.name);
  }

  const functions = extractFunctions(
    elf,
    code,
    {
      mapAt: (section, offset) => placed.get(section)?.find((p) => p.offset === offset)?.spec.name,
      dataMap: (section) => dataSections.get(section),
    },
    ext,
  );

  const lic = license(elf);
  const ver = version(elf);
  const programs: ProgramSpec[] = [];
  for (const c of code) {
    // libbpf: functions in .text are subprograms, never programs of their own.
    if (c.section.name === '.text') continue;
    const match = findSectionDef(c.section.name);
    for (const f of c.functions) {
      const linked = linkProgram(f.name, functions);
      const p: { -readonly [K in keyof ProgramSpec]: ProgramSpec[K] } = {
        name: f.name,
        sectionName: c.section.name,
        type: match?.def.progType ?? 'UNSPEC',
        flags: match?.def.flags ?? 0,
        instructions: linked.instructions,
        license: lic,
        funcInfo: linked.funcInfo,
        lineInfo: linked.lineInfo,
      };
      if (match?.def.attachType !== undefined) p.attachType = match.def.attachType;
      if (match?.target !== undefined) p.attachTo = match.target;
      // Kept as data: resolving them needs the target's BTF, which only load() knows.
      if (linked.coreRelocations.length > 0) p.coreRelocations = linked.coreRelocations;
      if (ver !== undefined) p.kernelVersion = ver;
      programs.push(p);
    }
  }
  // Prog-array slots must name programs of this object.
  for (const m of maps) {
    if (m.contents?.kind !== 'programs') continue;
    for (const s of m.contents.slots) {
      if (!programs.some((p) => p.name === s.program)) {
        throw new LoadError(
          'LOAD_ERROR',
          `map ${m.name}: slot ${s.index} refers to '${s.program}', which is not a program`,
        );
      }
    }
  }

  const spec: { -readonly [K in keyof CollectionSpec]: CollectionSpec[K] } = {
    programs,
    maps,
    variables,
    license: lic,
  };
  if (btf !== undefined) spec.btf = btf;
  if (ver !== undefined) spec.version = ver;
  return spec;
}
