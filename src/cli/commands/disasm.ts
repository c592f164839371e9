// `tsbpf disasm FILE`: prints instructions in pseudo-C (LLVM or kernel style) or mnemonic
// syntax, from an ELF code section, a linked program of an object (with C source lines),
// raw bytes, or hex.

import {
  decode,
  disassemble,
  encode,
  formatInstruction,
  loadCollectionSpec,
  slotTable,
} from '../../index.js';
import { type Parsed, parse, UsageError, usageLine } from '../args.js';
import { toHex } from '../hex.js';
import {
  codeSections,
  type InputFormat,
  isElf,
  loadProgramInput,
  type ProgramInput,
  readBytes,
  referencedMaps,
} from '../input.js';
import type { Output } from '../output.js';

export const disasmUsage = `Usage: tsbpf disasm FILE|- [--section NAME | --prog NAME] [--format auto|elf|raw|hex|asm]
                   [--syntax pseudo-c|mnemonic] [--numbers llvm|kernel] [--labels] [--source]
                   [--reassemble] [--json]
  Disassembles a code section of an ELF object (or, with --prog, a linked program with its
  subprograms), raw instruction bytes, or hex text. --numbers llvm (default) prints what
  llvm-objdump-19 -d prints (a bpf-to-bpf call as \`call -0x1\`), kernel what the verifier log
  prints (\`call pc-1\`); --reassemble prints forms \`tsbpf asm\` reads back unchanged. A map
  load is followed by \`; map[NAME]\` (JSON: "map"; global data as \`map[.rodata] VARIABLE\`) where the object names it.`;

function programFromObject(file: string, name: string): ProgramInput {
  const spec = loadCollectionSpec(readBytes(file, 'FILE'));
  const prog = spec.programs.find((p) => p.name === name);
  if (prog === undefined) {
    throw new UsageError(
      `${file} has no program '${name}' (programs: ${spec.programs.map((p) => p.name).join(', ')})`,
    );
  }
  const instructions = [...prog.instructions];
  return {
    instructions,
    origin: `${file}:${prog.name}`,
    maps: referencedMaps(instructions, slotTable(instructions).slotOf),
  };
}

export function disasmCommand(argv: string[], out: Output): number {
  const { values, positionals } = parse('disasm', argv, {
    section: { type: 'string' },
    prog: { type: 'string' },
    format: { type: 'string' },
    syntax: { type: 'string' },
    numbers: { type: 'string' },
    labels: { type: 'boolean' },
    source: { type: 'boolean' },
    reassemble: { type: 'boolean' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw usageLine('disasm', 'one FILE (or - for standard input)');
  const syntax = (values.syntax ?? 'pseudo-c') as 'pseudo-c' | 'mnemonic';
  const numbers = (values.numbers ?? 'llvm') as 'llvm' | 'kernel';
  if (!['pseudo-c', 'mnemonic'].includes(syntax))
    throw new UsageError(`--syntax: unknown syntax '${syntax}' (pseudo-c or mnemonic)`);
  if (!['llvm', 'kernel'].includes(numbers))
    throw new UsageError(`--numbers: unknown style '${numbers}' (llvm or kernel)`);
  const format = (values.format ?? 'auto') as InputFormat;
  let inputs: ProgramInput[];
  if (typeof values.prog === 'string') inputs = [programFromObject(file, values.prog)];
  else if (
    values.section === undefined &&
    (format === 'elf' || (format === 'auto' && isElf(readBytes(file, 'FILE'))))
  ) {
    // Like objdump -d: every code section of the object.
    inputs = codeSections(readBytes(file, 'FILE')).map((s) => ({
      instructions: decode(s.data, { littleEndian: s.littleEndian }),
      origin: `${file}:${s.name}`,
      maps: s.maps,
    }));
  } else inputs = [loadProgramInput(file, { format, section: values.section as string | undefined })];
  // LLVM style prints what llvm-objdump-19 prints (a local call as `call -0x1`); --reassemble
  // keeps the forms `tsbpf asm` reads back as the same instruction (`call pc-0x1`).
  const fmt = { syntax, numbers, exact: numbers === 'llvm' && values.reassemble !== true };
  if (out.json) {
    out.data(
      inputs.length === 1
        ? rows(inputs[0]!, fmt)
        : inputs.map((i) => ({ section: i.origin, insns: rows(i, fmt) })),
    );
    return 0;
  }
  for (const input of inputs) printListing(input, fmt, values, out);
  return 0;
}

type Fmt = { syntax: 'pseudo-c' | 'mnemonic'; numbers: 'llvm' | 'kernel'; exact: boolean };

function rows({ instructions, maps }: ProgramInput, fmt: Fmt): Record<string, unknown>[] {
  const { slotOf } = slotTable(instructions);
  const bytes = encode(instructions);
  return instructions.map((insn, k) => {
    const pc = slotOf[k]!;
    const row: Record<string, unknown> = {
      pc,
      disasm: formatInstruction(insn, pc, fmt),
      raw: toHex(bytes.subarray(pc * 8, slotOf[k + 1]! * 8)),
    };
    const map = maps?.get(pc);
    if (map !== undefined) row.map = map;
    if (insn.source !== undefined)
      row.source = { file: insn.source.file, line: insn.source.line, text: insn.source.text };
    return row;
  });
}

function printListing(input: ProgramInput, fmt: Fmt, values: Parsed['values'], out: Output): void {
  const { instructions } = input;
  const { slotOf } = slotTable(instructions);
  out.text(`${input.origin}:`);
  if (values.labels) {
    out.text(disassemble(instructions, { ...fmt, labels: true, addresses: true }).trimEnd());
    return;
  }
  let lastLine: string | undefined;
  instructions.forEach((insn, k) => {
    const pc = slotOf[k]!;
    if (insn.symbol !== undefined) out.text(`${insn.symbol}:`);
    const src = insn.source;
    if (values.source && src?.text !== undefined) {
      const where = `${src.file}:${src.line}`;
      if (where !== lastLine) out.text(`; ${src.text.trim()} [${where}]`);
      lastLine = where;
    }
    const map = input.maps?.get(pc);
    out.text(
      `${String(pc).padStart(5)}: ${formatInstruction(insn, pc, fmt)}${map === undefined ? '' : `  ; ${map}`}`,
    );
  });
}
