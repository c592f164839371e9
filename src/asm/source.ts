// Splits assembly text into lines with comments blanked out, keeping every column where it was
// so errors point at the right character. Comments: `;` and `//` to end of line, `/* ... */`
// (may span lines), and `#` to end of line when it starts a line or follows white space
// (`call bpf_map_lookup_elem#1`, the kernel's spelling, keeps its `#`).

import { AsmError } from '../errors.js';

export interface SourceLine {
  /** 1-based line number. */
  readonly line: number;
  /** The line with comment characters replaced by spaces. */
  readonly text: string;
}

export function splitLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  const lines = text.split('\n');
  let inBlock: { line: number; column: number } | undefined;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    let s = '';
    let i = 0;
    while (i < raw.length) {
      if (inBlock !== undefined) {
        const end = raw.indexOf('*/', i);
        if (end < 0) {
          s += ' '.repeat(raw.length - i);
          i = raw.length;
        } else {
          s += ' '.repeat(end + 2 - i);
          i = end + 2;
          inBlock = undefined;
        }
        continue;
      }
      const c = raw[i]!;
      if (
        c === ';' ||
        (c === '/' && raw[i + 1] === '/') ||
        (c === '#' && (i === 0 || /\s/.test(raw[i - 1]!)))
      ) {
        break;
      }
      if (c === '/' && raw[i + 1] === '*') {
        inBlock = { line: n + 1, column: i + 1 };
        s += '  ';
        i += 2;
        continue;
      }
      s += c;
      i++;
    }
    out.push({ line: n + 1, text: s });
  }
  if (inBlock !== undefined) throw new AsmError("unterminated '/*' comment", inBlock.line, inBlock.column);
  return out;
}
