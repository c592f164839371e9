// The C source line of a slot, from a program's bpf_line_info (the same table `tsbpf disasm
// --source` prints): the last line whose insnOff is at or before the slot. Used where a fault or
// a verifier refusal names the line it came from.

import type { LineInfo } from './types.js';

/** `file:line: text` of slot `pc`, or undefined without line info. */
export function sourceLine(lineInfo: readonly LineInfo[], pc: number): string | undefined {
  let best: LineInfo | undefined;
  for (const l of lineInfo)
    if (l.insnOff <= pc && (best === undefined || l.insnOff >= best.insnOff)) best = l;
  if (best === undefined) return undefined;
  const file = best.file.split('/').pop() ?? best.file;
  return `${file}:${best.line}: ${best.text.trim()}`;
}
