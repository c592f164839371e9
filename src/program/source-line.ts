// The C source line of a slot, from a program's bpf_line_info (the same table `tsbpf disasm
// --source` prints): the last line whose insnOff is at or before the slot. Used where a fault or
// a verifier refusal names the line it came from, and by the debugger to step by C lines.

import type { LineInfo } from './types.js';

/** The line info entry that covers slot `pc` (the last one at or before it), if any. */
export function lineInfoAt(lineInfo: readonly LineInfo[], pc: number): LineInfo | undefined {
  let best: LineInfo | undefined;
  for (const l of lineInfo)
    if (l.insnOff <= pc && (best === undefined || l.insnOff >= best.insnOff)) best = l;
  return best;
}

/** `file:line: text` of slot `pc`, or undefined without line info. */
export function sourceLine(lineInfo: readonly LineInfo[], pc: number): string | undefined {
  const best = lineInfoAt(lineInfo, pc);
  if (best === undefined) return undefined;
  const file = best.file.split('/').pop() ?? best.file;
  return `${file}:${best.line}: ${best.text.trim()}`;
}
