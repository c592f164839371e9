// The disassembler: instruction records to text in either syntax, one instruction per line,
// with optional slot addresses, labels for jump/call targets, and the symbols instructions carry.
// It never throws on a bad instruction: what classify() rejects prints as `<unknown>`, as
// llvm-objdump does.

import { classify, type Instruction, type Kind, slots, targetOf } from '../isa/index.js';
import { formatMnemonic } from './format-mnemonic.js';
import { formatPseudo } from './format-pseudo.js';
import {
  type DisassembleOptions,
  type FormatOptions,
  type ResolvedFormat,
  resolveFormat,
} from './options.js';

function tryClassify(i: Instruction): Kind | undefined {
  try {
    return classify(i);
  } catch {
    return undefined;
  }
}

function format(i: Instruction, pc: number, f: ResolvedFormat): string {
  const k = tryClassify(i);
  if (k === undefined) return '<unknown>';
  const text = f.syntax === 'mnemonic' ? formatMnemonic(i, k, pc, f) : formatPseudo(i, k, pc, f);
  return f.opcodes ? `(${(i.op & 0xff).toString(16).padStart(2, '0')}) ${text}` : text;
}

/** Formats one instruction at slot `pc` (the slot matters for labels and symbol notes only). */
export function formatInstruction(
  insn: Instruction,
  pc = 0,
  options: FormatOptions & { readonly labelAt?: (slot: number) => string | undefined } = {},
): string {
  return format(insn, pc, resolveFormat(options, options.labelAt));
}

/** The slot each jump or local call lands on, for instructions that have one. */
function targetSlot(i: Instruction, pc: number): number | undefined {
  const k = tryClassify(i);
  // Function addresses (lddw src=4) print as a number, not a label: none is made for them.
  return k === undefined || k.kind === 'lddw' ? undefined : targetOf(i, k, pc);
}

/** Disassembles a program; the result ends with a newline unless the program is empty. */
export function disassemble(program: readonly Instruction[], options: DisassembleOptions = {}): string {
  // Slot of each instruction, and names at slots: symbols the instructions carry, then the
  // caller's symbols, then generated `L<slot>` labels for targets that have none.
  const starts: number[] = [];
  let s = 0;
  for (const i of program) {
    starts.push(s);
    s += slots(i);
  }
  const names = new Map<number, string>();
  program.forEach((i, n) => {
    if (i.symbol !== undefined && !names.has(starts[n]!)) names.set(starts[n]!, i.symbol);
  });
  const startSet = new Set(starts);
  const labels = new Map<number, string>();
  if (options.labels === true) {
    for (const sym of options.symbols ?? []) {
      const slot = sym.offset / 8;
      if (startSet.has(slot) && !names.has(slot)) names.set(slot, sym.name);
    }
    program.forEach((i, n) => {
      const t = targetSlot(i, starts[n]!);
      if (t !== undefined && startSet.has(t)) labels.set(t, names.get(t) ?? `L${t}`);
    });
  }
  const f = resolveFormat(options, (slot) => labels.get(slot));
  const lines: string[] = [];
  program.forEach((i, n) => {
    const pc = starts[n]!;
    const name = names.get(pc) ?? labels.get(pc);
    if (name !== undefined) lines.push(`${name}:`);
    let prefix = '';
    if (options.addresses === true) {
      prefix =
        f.syntax === 'mnemonic'
          ? `${String(pc).padStart(4)}: `
          : f.kernel
            ? `${pc}: `
            : `${String(pc).padStart(8)}:\t`;
    }
    lines.push(prefix + format(i, pc, f));
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
