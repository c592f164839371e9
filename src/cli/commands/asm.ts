// `tsbpf asm FILE`: assembles text (pseudo-C or mnemonic) into instruction bytes.

import { encode, formatInstruction, slotTable } from '../../index.js';
import { parse, UsageError, usageLine } from '../args.js';
import { writeBytes } from '../files.js';
import { toHex } from '../hex.js';
import { loadProgramInput } from '../input.js';
import type { Output } from '../output.js';

export const asmUsage = `Usage: tsbpf asm FILE|- [--syntax auto|pseudo-c|mnemonic] [-o OUT] [--json]
  Assembles FILE; writes raw bytes to OUT, or prints hex (one instruction per line).`;

export function asmCommand(argv: string[], out: Output): number {
  const { values, positionals } = parse('asm', argv, {
    syntax: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw usageLine('asm', 'one FILE (or - for standard input)');
  const syntax = (values.syntax as 'auto' | 'pseudo-c' | 'mnemonic' | undefined) ?? 'auto';
  if (!['auto', 'pseudo-c', 'mnemonic'].includes(syntax))
    throw new UsageError(`--syntax: unknown syntax '${syntax}' (auto, pseudo-c or mnemonic)`);
  const { instructions } = loadProgramInput(file, { format: 'asm', syntax });
  const bytes = encode(instructions);
  if (typeof values.output === 'string') writeBytes(values.output, bytes, '-o');
  const { slotOf } = slotTable(instructions);
  const rows = instructions.map((insn, k) => {
    const pc = slotOf[k]!;
    return {
      pc,
      hex: toHex(bytes.subarray(pc * 8, slotOf[k + 1]! * 8)),
      disasm: formatInstruction(insn, pc),
    };
  });
  out.data(rows);
  if (values.output === undefined) for (const r of rows) out.text(r.hex);
  else out.text(`${instructions.length} instructions, ${bytes.length} bytes written to ${values.output}`);
  return 0;
}
