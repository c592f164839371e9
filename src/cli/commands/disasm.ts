// `tsbpf disasm FILE`: prints instructions in pseudo-C (LLVM or kernel style) or mnemonic
// syntax, from an ELF code section, a linked program of an object (with C source lines),
// raw bytes, or hex.

import {
  disassemble,
  encode,
  formatInstruction,
  type Instruction,
  loadCollectionSpec,
  slotTable,
} from '../../index.js';
import { parse, UsageError } from '../args.js';
import { toHex } from '../hex.js';
import { type InputFormat, loadProgramInput, readBytes } from '../input.js';
import type { Output } from '../output.js';

export const disasmUsage = `Usage: tsbpf disasm FILE|- [--section NAME | --prog NAME] [--format auto|elf|raw|hex|asm]
                   [--syntax pseudo-c|mnemonic] [--numbers llvm|kernel] [--labels] [--source] [--json]
  Disassembles a code section of an ELF object (or, with --prog, a linked program with its
  subprograms), raw instruction bytes, or hex text.`;

function programFromObject(file: string, name: string): { instructions: Instruction[]; origin: string } {
  const spec = loadCollectionSpec(readBytes(file));
  const prog = spec.programs.find((p) => p.name === name);
  if (prog === undefined) {
    throw new UsageError(
      `${file} has no program '${name}' (programs: ${spec.programs.map((p) => p.name).join(', ')})`,
    );
  }
  return { instructions: [...prog.instructions], origin: `${file}:${prog.name}` };
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
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1) throw new UsageError(disasmUsage);
  const syntax = (values.syntax ?? 'pseudo-c') as 'pseudo-c' | 'mnemonic';
  const numbers = (values.numbers ?? 'llvm') as 'llvm' | 'kernel';
  if (!['pseudo-c', 'mnemonic'].includes(syntax))
    throw new UsageError(`--syntax: unknown syntax '${syntax}'`);
  if (!['llvm', 'kernel'].includes(numbers)) throw new UsageError(`--numbers: unknown style '${numbers}'`);
  const input =
    typeof values.prog === 'string'
      ? programFromObject(file, values.prog)
      : loadProgramInput(file, {
          format: (values.format ?? 'auto') as InputFormat,
          section: values.section as string | undefined,
        });
  const { instructions } = input;
  const { slotOf } = slotTable(instructions);
  const bytes = encode(instructions);
  const fmt = { syntax, numbers };
  if (out.json) {
    out.data(
      instructions.map((insn, k) => {
        const pc = slotOf[k]!;
        const row: Record<string, unknown> = {
          pc,
          disasm: formatInstruction(insn, pc, fmt),
          raw: toHex(bytes.subarray(pc * 8, slotOf[k + 1]! * 8)),
        };
        if (insn.source !== undefined)
          row.source = { file: insn.source.file, line: insn.source.line, text: insn.source.text };
        return row;
      }),
    );
    return 0;
  }
  out.text(`${input.origin}:`);
  if (values.labels) {
    out.text(disassemble(instructions, { ...fmt, labels: true, addresses: true }).trimEnd());
    return 0;
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
    out.text(`${String(pc).padStart(5)}: ${formatInstruction(insn, pc, fmt)}`);
  });
  return 0;
}
