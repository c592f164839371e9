// Global data: `.data`, `.data.*`, `.rodata`, `.rodata.*`, `.bss`, `.bss.*` each become a
// single-entry array map named after its section (libbpf prefixes a truncated object name; a spec
// from bytes has no object name, so tsbpf uses the section name), and their variables become
// VariableSpecs. Initial bytes ride along as contents; `.bss` starts zeroed and carries none.

import type { Btf } from '../btf/types.js';
import type { MapSpec, VariableSpec } from '../program/types.js';
import { BPF_F_RDONLY_PROG } from '../uapi/index.js';
import * as E from './constants.js';
import type { ElfFile, ElfSection } from './reader.js';

export function isDataSection(s: ElfSection): boolean {
  if (s.type !== E.SHT_PROGBITS && s.type !== E.SHT_NOBITS) return false;
  if ((s.flags & E.SHF_ALLOC) === 0 || (s.flags & E.SHF_EXECINSTR) !== 0) return false;
  return ['.data', '.rodata', '.bss'].some((p) => s.name === p || s.name.startsWith(`${p}.`));
}

const isReadOnly = (s: ElfSection): boolean => s.name === '.rodata' || s.name.startsWith('.rodata.');

export function dataMap(s: ElfSection, btf: Btf | undefined): MapSpec {
  const dsId = btf?.types.findIndex((t) => t.kind === 'datasec' && t.name === s.name) ?? -1;
  const spec: { -readonly [K in keyof MapSpec]: MapSpec[K] } = {
    name: s.name,
    type: 'ARRAY',
    keySize: 4,
    valueSize: s.size,
    maxEntries: 1,
    flags: isReadOnly(s) ? BPF_F_RDONLY_PROG : 0, // libbpf sets it on .rodata
    pinning: 'none',
    sectionName: s.name,
  };
  if (s.type !== E.SHT_NOBITS) spec.contents = { kind: 'data', bytes: new Uint8Array(s.data) };
  if (dsId > 0) spec.btfValueType = dsId;
  return spec;
}

/** The variables of a data section: from its BTF DATASEC when there is one, else from ELF symbols. */
export function dataVariables(elf: ElfFile, s: ElfSection, btf: Btf | undefined): VariableSpec[] {
  const readOnly = isReadOnly(s);
  const ds = btf?.types.find((t) => t.kind === 'datasec' && t.name === s.name);
  if (btf !== undefined && ds?.kind === 'datasec') {
    const out: VariableSpec[] = [];
    for (const v of ds.vars) {
      const t = btf.types[v.type];
      if (t?.kind !== 'var') continue;
      out.push({ name: t.name, map: s.name, offset: v.offset, size: v.size, btfType: t.type, readOnly });
    }
    return out.sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : 1));
  }
  return elf.symbols
    .filter((y) => y.section === s.index && y.type === E.STT_OBJECT && y.name !== '')
    .sort((a, b) => a.value - b.value || a.index - b.index)
    .map((y) => ({ name: y.name, map: s.name, offset: y.value, size: y.size, readOnly }));
}
