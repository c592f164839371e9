// Enforces the import layers of ARCHITECTURE.md: imports only go down, folders in one layer
// don't import each other, and only kernel/ and cli/ reach Node built-ins or npm packages.
// Test files are exempt (they may compare backends across layers).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/src; the sources sit at ../../src from there.
const srcRoot = resolve(here, '../../src');

const LAYERS: Record<string, number> = {
  'errors.ts': -1, // the error family sits under everything: all may import it
  isa: 0,
  uapi: 1,
  // btf/ parses bytes and imports only errors.ts; at L1 both program/ (L2, spec types carry BTF)
  // and elf/ (L3, the object loader) can use it.
  btf: 1,
  asm: 2,
  program: 2,
  cfg: 2,
  elf: 3,
  verifier: 3,
  runtime: 3,
  interp: 4,
  jit: 4,
  net: 5,
  kernel: 5,
  'index.ts': 6,
  cli: 7,
  playground: 7,
};
/** Folders allowed to import Node built-ins and npm packages. */
const HOST_FOLDERS = new Set(['kernel', 'cli']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const unitOf = (file: string): string => relative(srcRoot, file).split('/')[0]!;
const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('every source file belongs to a known layer', () => {
  for (const file of sources(srcRoot)) {
    assert.ok(
      unitOf(file) in LAYERS,
      `${relative(srcRoot, file)} is in no layer; add its folder to ARCHITECTURE.md and this test`,
    );
  }
});

test('imports only go down, never sideways, and only kernel/ and cli/ touch the host', () => {
  const problems: string[] = [];
  for (const file of sources(srcRoot)) {
    const from = unitOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[2])!;
      const where = `${relative(srcRoot, file)} imports '${spec}'`;
      if (!spec.startsWith('.')) {
        if (!HOST_FOLDERS.has(from)) problems.push(`${where}: only kernel/ and cli/ may import host modules`);
        continue;
      }
      const to = unitOf(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      if (to === from) continue;
      const lf = LAYERS[from]!;
      const lt = LAYERS[to];
      if (lt === undefined) problems.push(`${where}: target outside the layers`);
      else if (lt > lf) problems.push(`${where}: upward (L${lf} -> L${lt})`);
      else if (lt === lf) problems.push(`${where}: sideways within L${lf}`);
    }
  }
  assert.deepEqual(problems, []);
});
