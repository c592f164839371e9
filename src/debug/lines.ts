// C source lines of a program's slots from its bpf_line_info: a table slot -> line entry built
// once (program/'s lineInfoAt answers one slot; stepping asks for every position), and the
// slots a `file:line` breakpoint stands for. Entries of line 0 (code the compiler made up) count
// as no line, so stepping never stops there.

import type { LineInfo, ProgramSpec } from '../program/index.js';

const basename = (f: string): string => f.split('/').pop() ?? f;

export class LineTable {
  readonly #at: (LineInfo | undefined)[];
  readonly #entries: readonly LineInfo[];

  constructor(program: ProgramSpec, slots: number) {
    const sorted = [...program.lineInfo].sort((a, b) => a.insnOff - b.insnOff);
    this.#entries = sorted;
    this.#at = new Array(slots).fill(undefined);
    for (let k = 0; k < sorted.length; k++) {
      const l = sorted[k]!;
      const end = k + 1 < sorted.length ? sorted[k + 1]!.insnOff : slots;
      for (let s = l.insnOff; s < end && s < slots; s++) this.#at[s] = l.line === 0 ? undefined : l;
    }
  }

  /** The line of slot `pc`, if it has one. */
  at(pc: number): LineInfo | undefined {
    return this.#at[pc];
  }

  /**
   * The slots where `line` of `file` (matched by base name; any file when undefined) starts, or
   * those of the first later line that has code (a breakpoint moves there, as gdb's does).
   */
  resolve(
    line: number,
    file: string | undefined,
  ): { line: number; file: string; slots: number[] } | undefined {
    const want = file === undefined ? undefined : basename(file);
    const candidates = this.#entries.filter(
      (l) => l.line >= line && l.line !== 0 && (want === undefined || basename(l.file) === want),
    );
    if (candidates.length === 0) return undefined;
    const best = Math.min(...candidates.map((l) => l.line));
    const hits = candidates.filter((l) => l.line === best);
    return { line: best, file: hits[0]!.file, slots: hits.map((l) => l.insnOff) };
  }

  /** Every line entry (for `list`: the source text the object carries). */
  get entries(): readonly LineInfo[] {
    return this.#entries;
  }
}
