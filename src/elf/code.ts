// Turns the executable sections of an object into symbolic functions for the linker: decodes
// instructions, cuts them at STT_FUNC symbols, and resolves every relocation (llvm_reloc.rst) to
// a name — map loads to `reference` = map name with src = BPF_PSEUDO_MAP_FD/MAP_VALUE, calls and
// callback addresses to `reference` = function name. It keeps no fds and lays out nothing.

import type { BtfExt } from '../btf/ext.js';
import { InvalidInstructionError, LoadError, NotSupportedError } from '../errors.js';
import { decode } from '../isa/codec.js';
import type { Instruction, Mutable, SourceLine } from '../isa/instruction.js';
import { slotTable } from '../isa/instruction.js';
import * as O from '../isa/opcodes.js';
import type { FunctionUnit } from '../program/link.js';
import type { CoreRelocation, LineInfo } from '../program/types.js';
import * as E from './constants.js';
import type { ElfFile, ElfSection, ElfSymbol } from './reader.js';

/** Where an lddw relocation's symbol points, as the loader classified the sections. */
export interface SymbolTargets {
  /** Map name for a symbol in a map-definition section at a byte offset, or undefined. */
  mapAt(section: number, offset: number): string | undefined;
  /** The global-data map (named after its section) a data section forms, or undefined. */
  dataMap(section: number): string | undefined;
}

export interface CodeSection {
  readonly section: ElfSection;
  /** Function symbols of the section, by offset. */
  readonly functions: readonly ElfSymbol[];
}

/** Executable PROGBITS sections with at least one instruction, each with its function symbols. */
export function codeSections(elf: ElfFile): CodeSection[] {
  const out: CodeSection[] = [];
  for (const s of elf.sections) {
    if (s.type !== E.SHT_PROGBITS || (s.flags & E.SHF_EXECINSTR) === 0 || s.size === 0) continue;
    if ((s.flags & E.SHF_COMPRESSED) !== 0)
      throw new NotSupportedError('compressed sections', `section ${s.name}`);
    const functions = elf.symbols
      .filter((y) => y.section === s.index && y.type === E.STT_FUNC)
      .sort((a, b) => a.value - b.value || a.index - b.index);
    if (functions.length === 0)
      throw new LoadError('LOAD_ERROR', `section ${s.name}: code without function symbols`);
    out.push({ section: s, functions });
  }
  return out;
}

function decodeSection(s: ElfSection, le: boolean): Instruction[] {
  if (s.size % O.INSN_SIZE !== 0) {
    throw new LoadError(
      'ELF_INVALID',
      `section ${s.name}: size ${s.size} is not a multiple of ${O.INSN_SIZE}`,
    );
  }
  try {
    return decode(s.data, { littleEndian: le, strict: false });
  } catch (e) {
    if (e instanceof InvalidInstructionError) {
      throw new LoadError('ELF_INVALID', `section ${s.name}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

function isCall(i: Instruction): boolean {
  return i.op === O.OP_CALL;
}

/** Resolves relocations and splits every code section into functions keyed by name. */
export function extractFunctions(
  elf: ElfFile,
  sections: readonly CodeSection[],
  targets: SymbolTargets,
  ext: BtfExt | undefined,
): Map<string, FunctionUnit> {
  // Function start (section index, slot) -> name, for resolving call targets.
  const starts = new Map<string, string>();
  for (const cs of sections) {
    for (const f of cs.functions) {
      if (f.value % O.INSN_SIZE !== 0 || f.value >= cs.section.size) {
        throw new LoadError(
          'ELF_INVALID',
          `section ${cs.section.name}: function ${f.name} at ${f.value} is misplaced`,
        );
      }
      starts.set(`${cs.section.index}:${f.value / O.INSN_SIZE}`, f.name);
    }
  }
  const functionAt = (section: number, slot: number, what: string): string => {
    const name = starts.get(`${section}:${slot}`);
    if (name === undefined) {
      const sname = elf.sections[section]?.name ?? `#${section}`;
      throw new LoadError(
        'LOAD_ERROR',
        `${what}: no function starts at instruction ${slot} of section ${sname}`,
      );
    }
    return name;
  };

  const units = new Map<string, FunctionUnit>();
  for (const cs of sections) {
    const s = cs.section;
    const insns = decodeSection(s, elf.littleEndian) as Mutable<Instruction>[];
    const { slotOf, insnAt } = slotTable(insns);
    const totalSlots = slotOf[insns.length]!;
    const indexOfSlot = (slot: number, what: string): number => {
      const k = slot >= 0 && slot < totalSlots ? insnAt[slot]! : -1;
      if (k < 0)
        throw new LoadError('ELF_INVALID', `section ${s.name}: ${what} is not at an instruction boundary`);
      return k;
    };

    const relocated = new Set<number>();
    for (const rel of elf.relocations.get(s.index) ?? []) {
      const where = `section ${s.name}: relocation at offset ${rel.offset}`;
      if (rel.offset % O.INSN_SIZE !== 0)
        throw new LoadError('ELF_INVALID', `${where} is not 8-byte aligned`);
      const slot = rel.offset / O.INSN_SIZE;
      const k = indexOfSlot(slot, `relocation at offset ${rel.offset}`);
      const i = insns[k]!;
      const sym = elf.symbols[rel.symbol]!;
      relocated.add(k);
      if (sym.section === E.SHN_UNDEF) {
        // An extern function (`__ksym`) is a kfunc: libbpf turns the call into
        // BPF_PSEUDO_KFUNC_CALL; the backend binds the name at load (kernel: its vmlinux BTF id).
        if (isCall(i) && rel.type === E.R_BPF_64_32) {
          Object.assign(i, { src: O.BPF_PSEUDO_KFUNC_CALL, imm: 0, off: 0, reference: sym.name });
          continue;
        }
        throw new NotSupportedError('extern variables (.kconfig/.ksyms)', `${where} refers to '${sym.name}'`);
      }
      if (sym.section >= E.SHN_LORESERVE)
        throw new LoadError('ELF_INVALID', `${where}: symbol '${sym.name}' is not in a section`);
      const symSection = elf.sections[sym.section]!;
      if (rel.type === E.R_BPF_64_32) {
        if (!isCall(i) || i.src !== O.BPF_PSEUDO_CALL) {
          throw new LoadError(
            'LOAD_ERROR',
            `${where}: R_BPF_64_32 on an instruction that is not a bpf-to-bpf call`,
          );
        }
        if (sym.value % O.INSN_SIZE !== 0)
          throw new LoadError('ELF_INVALID', `${where}: misaligned call target`);
        // libbpf: target = sym_off / 8 + imm + 1 (imm is -1 against a function symbol).
        const target = sym.value / O.INSN_SIZE + i.imm + 1;
        i.reference = functionAt(sym.section, target, where);
        continue;
      }
      if (rel.type !== E.R_BPF_64_64)
        throw new LoadError('LOAD_ERROR', `${where}: unexpected relocation type ${rel.type}`);
      if (i.op !== O.OP_LDDW)
        throw new LoadError('LOAD_ERROR', `${where}: R_BPF_64_64 on an instruction that is not lddw`);
      const off = sym.value + i.imm;
      if ((symSection.flags & E.SHF_EXECINSTR) !== 0) {
        // A function's address (bpf_loop and other callbacks): becomes BPF_PSEUDO_FUNC.
        if (off % O.INSN_SIZE !== 0)
          throw new LoadError('ELF_INVALID', `${where}: misaligned function address`);
        i.src = O.BPF_PSEUDO_FUNC;
        i.reference = functionAt(sym.section, off / O.INSN_SIZE, where);
        i.imm = 0;
        i.hi = 0;
        continue;
      }
      const map = targets.mapAt(sym.section, off);
      if (map !== undefined) {
        i.src = O.BPF_PSEUDO_MAP_FD;
        i.reference = map;
        i.imm = 0;
        i.hi = 0;
        continue;
      }
      const data = targets.dataMap(sym.section);
      if (data !== undefined) {
        if (off < 0 || off > symSection.size)
          throw new LoadError('ELF_INVALID', `${where}: offset ${off} is outside ${data}`);
        i.src = O.BPF_PSEUDO_MAP_VALUE;
        i.reference = data;
        i.imm = 0;
        i.hi = off;
        continue;
      }
      if (symSection.name.startsWith('.addr_space'))
        throw new NotSupportedError('BPF arena (.addr_space.1)', where);
      throw new LoadError(
        'LOAD_ERROR',
        `${where}: '${sym.name}' is in section ${symSection.name}, which is not a map or data section`,
      );
    }

    // Calls inside one section need no relocation: the compiler wrote the distance itself.
    insns.forEach((i, k) => {
      if (relocated.has(k)) return;
      if (isCall(i) && i.src === O.BPF_PSEUDO_CALL) {
        const target = slotOf[k]! + i.imm + 1;
        i.reference = functionAt(s.index, target, `section ${s.name}: call at instruction ${slotOf[k]}`);
      } else if (isCall(i) && i.src === O.BPF_PSEUDO_KFUNC_CALL) {
        throw new LoadError(
          'ELF_INVALID',
          `section ${s.name}: kfunc call at instruction ${slotOf[k]} names no function`,
        );
      } else if (i.op === O.OP_LDDW && i.src !== 0) {
        throw new LoadError(
          'LOAD_ERROR',
          `section ${s.name}: lddw with src ${i.src} at instruction ${slotOf[k]} has no relocation`,
        );
      }
    });

    const funcInfo = ext?.funcInfo.find((f) => f.section === s.name)?.records ?? [];
    const lines = [...(ext?.lineInfo.find((f) => f.section === s.name)?.records ?? [])];
    const cores = ext?.coreRelos.find((f) => f.section === s.name)?.records ?? [];
    for (const c of cores) {
      if (c.insnOff % O.INSN_SIZE !== 0)
        throw new LoadError('ELF_INVALID', `section .BTF.ext: misaligned CO-RE relocation in ${s.name}`);
      indexOfSlot(c.insnOff / O.INSN_SIZE, `CO-RE relocation at offset ${c.insnOff}`);
    }
    cs.functions.forEach((f, n) => {
      const startSlot = f.value / O.INSN_SIZE;
      const next = cs.functions[n + 1];
      // The symbol size bounds the function; without one, the next function (or the section end) does.
      const endByte = f.size > 0 ? f.value + f.size : (next?.value ?? s.size);
      if (endByte > s.size || endByte % O.INSN_SIZE !== 0 || endByte <= f.value) {
        throw new LoadError('ELF_INVALID', `section ${s.name}: function ${f.name} has bad size ${f.size}`);
      }
      const endSlot = endByte / O.INSN_SIZE;
      const first = indexOfSlot(startSlot, `function ${f.name}`);
      const last = endSlot === totalSlots ? insns.length : indexOfSlot(endSlot, `end of function ${f.name}`);
      const body: Mutable<Instruction>[] = insns.slice(first, last).map((i) => ({ ...i }));
      const lineInfo: LineInfo[] = [];
      for (const l of lines) {
        if (l.insnOff % O.INSN_SIZE !== 0)
          throw new LoadError('ELF_INVALID', `section .BTF.ext: misaligned line_info in ${s.name}`);
        const slot = l.insnOff / O.INSN_SIZE;
        if (slot < startSlot || slot >= endSlot) continue;
        const rel = slot - startSlot;
        lineInfo.push({ insnOff: rel, file: l.file, text: l.text, line: l.line, column: l.column });
        const k = indexOfSlot(slot, 'line_info') - first;
        const src: Mutable<SourceLine> = { file: l.file, line: l.line };
        if (l.column !== 0) src.column = l.column;
        if (l.text !== '') src.text = l.text;
        body[k]!.source = src;
      }
      // CO-RE relocations stay symbolic (the target BTF is known only at load), slot-relative.
      const coreRelocations: CoreRelocation[] = cores
        .filter((c) => c.insnOff >= f.value && c.insnOff < endByte)
        .map((c) => ({
          insnOff: c.insnOff / O.INSN_SIZE - startSlot,
          typeId: c.typeId,
          access: c.access,
          kind: c.kind,
        }));
      body[0]!.symbol = f.name;
      const fi = funcInfo.find((r) => r.insnOff === f.value);
      if (units.has(f.name)) throw new LoadError('LOAD_ERROR', `function name '${f.name}' is defined twice`);
      const unit: FunctionUnit = {
        name: f.name,
        sectionName: s.name,
        instructions: body,
        lineInfo,
        ...(fi === undefined ? {} : { btfFunc: fi.typeId }),
        ...(coreRelocations.length === 0 ? {} : { coreRelocations }),
      };
      units.set(f.name, unit);
    });
  }
  return units;
}
