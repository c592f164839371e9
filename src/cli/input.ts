// Reads a program for the CLI from a file or stdin ('-'): an ELF object (one code section),
// raw instruction bytes, hex text, or assembly text in either syntax — detected from the bytes.

import { assemble, decode, type Instruction, readElf, TsbpfError } from '../index.js';
import { UsageError } from './args.js';
import { readBytes } from './files.js';
import { parseHex } from './hex.js';

export type InputFormat = 'auto' | 'elf' | 'raw' | 'hex' | 'asm';

export interface ProgramInput {
  readonly instructions: Instruction[];
  /** Where the instructions came from, for messages: `file.o:xdp`, `file.s`. */
  readonly origin: string;
  /** The map each map-loading lddw refers to, by slot (pc), where the object names it: `map[NAME]`. */
  readonly maps?: ReadonlyMap<number, string>;
}

const LDDW = 0x18;

const SHF_EXECINSTR = 0x4;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export { readBytes } from './files.js';

export function isElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, k) => bytes[k] === b);
}

function looksLikeText(bytes: Uint8Array): boolean {
  return !bytes.includes(0) && Buffer.from(bytes).toString('utf8').indexOf('\uFFFD') < 0;
}

function looksLikeHex(text: string): boolean {
  return /^[\s0-9a-fA-Fx,]*$/.test(text) && /[0-9a-fA-F]/.test(text);
}

/** The code sections of an ELF object, by name. */
export function codeSections(
  bytes: Uint8Array,
): { name: string; data: Uint8Array; littleEndian: boolean; maps: Map<number, string> }[] {
  const elf = readElf(bytes);
  return elf.sections
    .filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0)
    .map((s) => {
      // A relocation on an lddw whose symbol sits in a data section (maps, .maps, .rodata, .bss,
      // .data...) names the map it loads: the map's symbol, or the section for global data.
      const maps = new Map<number, string>();
      for (const rel of elf.relocations.get(s.index) ?? []) {
        const sym = elf.symbols[rel.symbol];
        const target = sym === undefined ? undefined : elf.sections[sym.section];
        if (sym === undefined || target === undefined || (target.flags & SHF_EXECINSTR) !== 0) continue;
        if (rel.offset % 8 !== 0 || s.data[rel.offset] !== LDDW) continue;
        // A map section's symbol is the map; in global data it is a variable of the section's map.
        const mapSection = target.name === 'maps' || target.name === '.maps';
        maps.set(
          rel.offset / 8,
          mapSection || sym.name === '' || sym.name === target.name
            ? `map[${sym.name || target.name}]`
            : `map[${target.name}] ${sym.name}`,
        );
      }
      return { name: s.name, data: s.data, littleEndian: elf.littleEndian, maps };
    });
}

/** The maps named by the lddw instructions of a linked program (their `reference`). */
export function referencedMaps(
  instructions: readonly Instruction[],
  slotOf: ArrayLike<number>,
): Map<number, string> {
  const maps = new Map<number, string>();
  instructions.forEach((i, k) => {
    if (i.op === LDDW && i.reference !== undefined && MAP_SOURCES.has(i.src))
      maps.set(slotOf[k]!, `map[${i.reference}]`);
  });
  return maps;
}
/** lddw src values that load a map: fd, value, index, index value (BPF_PSEUDO_MAP_*). */
const MAP_SOURCES = new Set([1, 2, 5, 6]);

export function loadProgramInput(
  path: string,
  options: {
    format?: InputFormat;
    section?: string | undefined;
    syntax?: 'auto' | 'pseudo-c' | 'mnemonic';
  } = {},
): ProgramInput {
  const bytes = readBytes(path);
  let format = options.format ?? 'auto';
  if (format === 'auto') {
    if (isElf(bytes)) format = 'elf';
    else if (!looksLikeText(bytes)) format = 'raw';
    else format = looksLikeHex(Buffer.from(bytes).toString('utf8')) ? 'hex' : 'asm';
  }
  switch (format) {
    case 'elf': {
      const sections = codeSections(bytes);
      const names = sections.map((s) => s.name).join(', ') || 'none';
      const chosen =
        options.section === undefined
          ? sections.length === 1
            ? sections[0]
            : undefined
          : sections.find((s) => s.name === options.section);
      if (chosen === undefined) {
        const why =
          options.section === undefined
            ? 'has several code sections'
            : `has no code section '${options.section}'`;
        throw new UsageError(`${path} ${why}; choose one with --section (code sections: ${names})`);
      }
      return {
        instructions: decode(chosen.data, { littleEndian: chosen.littleEndian }),
        origin: `${path}:${chosen.name}`,
        maps: chosen.maps,
      };
    }
    case 'raw':
      return { instructions: decode(bytes), origin: path };
    case 'hex':
      return { instructions: decode(parseHex(Buffer.from(bytes).toString('utf8'), path)), origin: path };
    case 'asm':
      return {
        instructions: assemble(Buffer.from(bytes).toString('utf8'), { syntax: options.syntax ?? 'auto' }),
        origin: path,
      };
    default:
      throw new TsbpfError('INVALID_ARGUMENT', `unknown input format '${format as string}'`);
  }
}
