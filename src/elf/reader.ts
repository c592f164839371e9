// Reads an ELF64 relocatable object for EM_BPF in either byte order: header, section headers
// and names, the symbol table and REL/RELA relocation sections. Every offset and size is checked
// against the file; malformed input throws LoadError('ELF_INVALID') naming the field.
// It knows nothing of BPF semantics (maps, programs): that is load.ts.

import { ByteReader } from '../btf/bytes.js';
import { LoadError } from '../errors.js';
import * as E from './constants.js';

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly align: number;
  readonly entsize: number;
  /** File bytes of the section; empty for SHT_NOBITS. */
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  readonly index: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
  readonly visibility: number;
  /** st_name; for an unnamed STT_SECTION symbol, its section's name. */
  readonly name: string;
  /** Section index (st_shndx, or the SHT_SYMTAB_SHNDX entry when it is SHN_XINDEX). */
  readonly section: number;
  readonly value: number;
  readonly size: number;
}

export interface ElfRelocation {
  readonly offset: number;
  readonly type: number;
  readonly symbol: number;
  readonly addend: bigint;
}

export interface ElfFile {
  readonly littleEndian: boolean;
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Relocations keyed by the index of the section they apply to. */
  readonly relocations: ReadonlyMap<number, readonly ElfRelocation[]>;
}

function invalid(message: string): never {
  throw new LoadError('ELF_INVALID', `ELF: ${message}`);
}

export function readElf(input: Uint8Array): ElfFile {
  // A plain Uint8Array view, so subarray/slice behave alike for Buffers and arrays.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < E.EHDR_SIZE) invalid(`${bytes.length} bytes is too short for an ELF header`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) invalid('bad magic');
  if (bytes[4] !== E.ELFCLASS64) invalid(`EI_CLASS ${bytes[4]} is not ELFCLASS64`);
  if (bytes[5] !== E.ELFDATA2LSB && bytes[5] !== E.ELFDATA2MSB)
    invalid(`EI_DATA ${bytes[5]} is not a byte order`);
  const le = bytes[5] === E.ELFDATA2LSB;
  const r = new ByteReader(bytes, le, 'ELF');
  const type = r.u16(16, 'e_type');
  if (type !== E.ET_REL) invalid(`e_type ${type} is not ET_REL (a relocatable object)`);
  const machine = r.u16(18, 'e_machine');
  if (machine !== E.EM_BPF) invalid(`e_machine ${machine} is not EM_BPF (${E.EM_BPF})`);
  const shoff = r.u64(40, 'e_shoff');
  const shentsize = r.u16(58, 'e_shentsize');
  let shnum = r.u16(60, 'e_shnum');
  let shstrndx = r.u16(62, 'e_shstrndx');
  if (shoff === 0) invalid('no section header table (e_shoff = 0)');
  if (shentsize !== E.SHDR_SIZE) invalid(`e_shentsize ${shentsize} is not ${E.SHDR_SIZE}`);
  // Extended numbering (gABI): counts too large for 16 bits live in section header 0.
  if (shnum === 0) shnum = r.u64(shoff + 32, 'section 0 sh_size (extended e_shnum)');
  if (shstrndx === E.SHN_XINDEX) shstrndx = r.u32(shoff + 40, 'section 0 sh_link (extended e_shstrndx)');
  r.check(shoff, shnum * E.SHDR_SIZE, `section header table (${shnum} entries)`);
  if (shstrndx >= shnum) invalid(`e_shstrndx ${shstrndx} is not a section (${shnum} sections)`);

  interface Raw {
    nameOff: number;
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    info: number;
    align: number;
    entsize: number;
  }
  const raw: Raw[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * E.SHDR_SIZE;
    const f = (n: string): string => `section ${i} ${n}`;
    const h: Raw = {
      nameOff: r.u32(at, f('sh_name')),
      type: r.u32(at + 4, f('sh_type')),
      flags: Number(r.big64(at + 8, f('sh_flags')) & 0xffffffffn),
      offset: r.u64(at + 24, f('sh_offset')),
      size: r.u64(at + 32, f('sh_size')),
      link: r.u32(at + 40, f('sh_link')),
      info: r.u32(at + 44, f('sh_info')),
      align: r.u64(at + 48, f('sh_addralign')),
      entsize: r.u64(at + 56, f('sh_entsize')),
    };
    if (h.type !== E.SHT_NOBITS && h.type !== E.SHT_NULL) r.check(h.offset, h.size, `section ${i} contents`);
    raw.push(h);
  }
  const strtab = raw[shstrndx]!;
  if (strtab.type !== E.SHT_STRTAB) invalid(`e_shstrndx ${shstrndx} is not a string table`);
  const shstr = new ByteReader(
    bytes.subarray(strtab.offset, strtab.offset + strtab.size),
    le,
    'ELF section names',
  );
  const sections: ElfSection[] = raw.map((h, index) => ({
    index,
    name: index === 0 ? '' : shstr.cstring(h.nameOff, `name of section ${index}`),
    type: h.type,
    flags: h.flags,
    offset: h.offset,
    size: h.size,
    link: h.link,
    info: h.info,
    align: h.align,
    entsize: h.entsize,
    data:
      h.type === E.SHT_NOBITS || h.type === E.SHT_NULL
        ? new Uint8Array(0)
        : bytes.subarray(h.offset, h.offset + h.size),
  }));

  const symbols = readSymbols(sections, le);
  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== E.SHT_REL && s.type !== E.SHT_RELA) continue;
    const target = sections[s.info];
    if (target === undefined || s.info === 0)
      invalid(`relocation section ${s.name} applies to missing section ${s.info}`);
    const size = s.type === E.SHT_REL ? E.REL_SIZE : E.RELA_SIZE;
    if (s.size % size !== 0)
      invalid(`relocation section ${s.name} size ${s.size} is not a multiple of ${size}`);
    const rr = new ByteReader(s.data, le, `ELF section ${s.name}`);
    const list = relocations.get(s.info) ?? [];
    for (let at = 0; at < s.size; at += size) {
      const info = rr.big64(at + 8, 'r_info');
      const rel: ElfRelocation = {
        offset: rr.u64(at, 'r_offset'),
        type: Number(info & 0xffffffffn),
        symbol: Number(info >> 32n),
        addend: s.type === E.SHT_RELA ? BigInt.asIntN(64, rr.big64(at + 16, 'r_addend')) : 0n,
      };
      if (rel.symbol >= symbols.length) {
        invalid(
          `relocation section ${s.name} entry ${at / size} names symbol ${rel.symbol} of ${symbols.length}`,
        );
      }
      list.push(rel);
    }
    relocations.set(s.info, list);
  }
  return { littleEndian: le, sections, symbols, relocations };
}

function readSymbols(sections: readonly ElfSection[], le: boolean): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === E.SHT_SYMTAB);
  if (symtabs.length === 0) return [];
  if (symtabs.length > 1) invalid('more than one symbol table');
  const st = symtabs[0]!;
  if (st.entsize !== E.SYM_SIZE) invalid(`symbol table entry size ${st.entsize} is not ${E.SYM_SIZE}`);
  if (st.size % E.SYM_SIZE !== 0) invalid(`symbol table size ${st.size} is not a multiple of ${E.SYM_SIZE}`);
  const strs = sections[st.link];
  if (strs === undefined || strs.type !== E.SHT_STRTAB)
    invalid(`symbol table's sh_link ${st.link} is not a string table`);
  const names = new ByteReader(strs.data, le, `ELF string table ${strs.name}`);
  const xindex = sections.find((s) => s.type === E.SHT_SYMTAB_SHNDX && s.link === st.index);
  const xr = xindex === undefined ? undefined : new ByteReader(xindex.data, le, 'ELF SHT_SYMTAB_SHNDX');
  const r = new ByteReader(st.data, le, `ELF symbol table ${st.name}`);
  const out: ElfSymbol[] = [];
  for (let i = 0, at = 0; at < st.size; i++, at += E.SYM_SIZE) {
    const info = r.u8(at + 4, `symbol ${i} st_info`);
    let section = r.u16(at + 6, `symbol ${i} st_shndx`);
    if (section === E.SHN_XINDEX) {
      if (xr === undefined) invalid(`symbol ${i} uses SHN_XINDEX without an SHT_SYMTAB_SHNDX section`);
      section = xr.u32(i * 4, `extended section index of symbol ${i}`);
    }
    if (section !== E.SHN_UNDEF && section < E.SHN_LORESERVE && section >= sections.length) {
      invalid(`symbol ${i} is in missing section ${section}`);
    }
    let name = names.cstring(r.u32(at, `symbol ${i} st_name`), `name of symbol ${i}`);
    // Section symbols are unnamed; like readelf and libbpf, call them after their section.
    if (name === '' && (info & 0xf) === E.STT_SECTION && section < sections.length)
      name = sections[section]!.name;
    out.push({
      index: i,
      name,
      type: info & 0xf,
      bind: info >> 4,
      visibility: r.u8(at + 5, `symbol ${i} st_other`) & 0x3,
      section,
      value: r.u64(at + 8, `symbol ${i} st_value`),
      size: r.u64(at + 16, `symbol ${i} st_size`),
    });
  }
  return out;
}
