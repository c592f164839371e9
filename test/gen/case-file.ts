// The text format the assembly-case suites share (test/oob/*.oob, test/verifier/*.vcase): files of
// cases, each starting `=== name`, then `key: value` lines (blank lines and `#` comments skipped;
// a key may repeat), then optionally `-- asm` and the program to the end of the case. What the
// keys mean is each suite's (oob-cases.ts, verifier-cases.ts).

import { readdirSync, readFileSync } from 'node:fs';

/** One case's fields and assembly, with `where` (file and case) for its errors. */
export interface CaseFields {
  readonly where: string;
  readonly asm: string | undefined;
  has(key: string): boolean;
  /** Every value of a repeatable key, in order. */
  all(key: string): string[];
  /** The value of a key given at most once; undefined when absent. */
  one(key: string): string | undefined;
}

function fieldsOf(where: string, body: readonly string[]): CaseFields {
  const fields = new Map<string, string[]>();
  let asm: string | undefined;
  for (let k = 0; k < body.length; k++) {
    const line = body[k]!;
    if (line.trim() === '-- asm') {
      asm = body.slice(k + 1).join('\n');
      break;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m === null) throw new Error(`${where}: cannot read '${line}'`);
    fields.set(m[1]!, [...(fields.get(m[1]!) ?? []), m[2]!.trim()]);
  }
  return {
    where,
    asm,
    has: (key) => fields.has(key),
    all: (key) => fields.get(key) ?? [],
    one: (key) => {
      const v = fields.get(key);
      if (v !== undefined && v.length > 1) throw new Error(`${where}: '${key}:' given twice`);
      return v?.[0];
    },
  };
}

/**
 * Every case of every `*${ext}` file in `dir`, in file then case order, each made by `parse`;
 * a name used twice (across files too) is an error naming `what`.
 */
export function readCases<T extends { readonly name: string }>(
  dir: URL,
  ext: string,
  what: string,
  parse: (file: string, name: string, c: CaseFields) => T,
): T[] {
  const out: T[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()) {
    let name: string | undefined;
    let body: string[] = [];
    const flush = () => {
      if (name !== undefined) out.push(parse(file, name, fieldsOf(`${file} case ${name}`, body)));
    };
    for (const line of readFileSync(new URL(file, dir), 'utf8').split('\n')) {
      const m = /^===\s*(\S+)\s*$/.exec(line);
      if (m === null) {
        body.push(line);
        continue;
      }
      flush();
      name = m[1]!;
      body = [];
    }
    flush();
  }
  const names = new Set<string>();
  for (const c of out) {
    if (names.has(c.name)) throw new Error(`${what} case '${c.name}' is defined twice`);
    names.add(c.name);
  }
  return out;
}
