// Enforces the import layers of ARCHITECTURE.md: imports only go down, folders in one layer
// don't import each other, and only kernel/ and cli/ reach Node built-ins or npm packages.
// Tests (src/**/*.test.ts and the support in test/) may cross layers, since they compare
// backends, but only cli/'s own tests reach into cli/. cli/ and bench/ are users of the
// package: they import the public entries (package.json `exports`) and nothing else of src/.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/src; the repository sits at ../../ from there.
const repo = resolve(here, '../..');
const srcRoot = join(repo, 'src');

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
  // skeleton/ generates TypeScript from an object (elf/, btf/); used by index.ts and the CLI.
  skeleton: 4,
  // debug/ records runs on the interpreter (L4) for the debugger; browser-safe, beside net/.
  debug: 5,
  'index.ts': 6,
  cli: 7,
  playground: 7,
  dataplane: 7,
};
/** L7 folders: consumers of the public entries only, as bench/ is. */
const CONSUMERS = new Set(['cli', 'playground', 'dataplane']);
/** Folders allowed to import Node built-ins and npm packages. */
const HOST_FOLDERS = new Set(['kernel', 'cli']);

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
const isTest = (file: string): boolean => file.endsWith('.test.ts');
const sources = files(srcRoot).filter((f) => !isTest(f));
const tests = [...files(srcRoot).filter(isTest), ...files(join(repo, 'test'))];
const bench = files(join(repo, 'bench'));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  exports: Record<string, string>;
};
/** The package's entries as source files (./dist/src/kernel/index.js is src/kernel/index.ts). */
const entries = new Set(
  Object.values(pkg.exports).map((t) => join(repo, t.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))),
);

const unitOf = (file: string): string => relative(srcRoot, file).split('/')[0]!;
const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import specifier of a file, with the file it resolves to when relative. */
function imports(file: string): { spec: string; target: string | undefined }[] {
  return [...readFileSync(file, 'utf8').matchAll(SPECIFIER)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    const target = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : undefined;
    return { spec, target };
  });
}
const inside = (dir: string, file: string): boolean => !relative(dir, file).startsWith('..');

test('every source file belongs to a known layer, and the table names only folders that exist or are planned', () => {
  for (const file of sources) {
    assert.ok(
      unitOf(file) in LAYERS,
      `${relative(srcRoot, file)} is in no layer; add its folder to ARCHITECTURE.md and this test`,
    );
  }
  // uapi/ replaced spec/ (the *Spec types are program/'s); the old name must not come back.
  assert.equal(existsSync(join(srcRoot, 'spec')), false, 'src/spec/ was renamed src/uapi/');
  for (const unit of ['errors.ts', 'isa', 'uapi', 'btf', 'asm', 'program', 'elf', 'runtime', 'interp', 'net'])
    assert.ok(existsSync(join(srcRoot, unit)), `${unit} is in the table but not in src/`);
});

test('imports only go down, never sideways, and only kernel/ and cli/ touch the host', () => {
  const problems: string[] = [];
  for (const file of sources) {
    const from = unitOf(file);
    for (const { spec, target } of imports(file)) {
      const where = `${relative(srcRoot, file)} imports '${spec}'`;
      if (target === undefined) {
        if (!HOST_FOLDERS.has(from)) problems.push(`${where}: only kernel/ and cli/ may import host modules`);
        continue;
      }
      if (!inside(srcRoot, target)) {
        problems.push(
          `${where}: source reaches outside src/ (tests and test/ support are not for shipping code)`,
        );
        continue;
      }
      if (isTest(target)) problems.push(`${where}: source imports a test file`);
      const to = unitOf(target);
      if (to === from) continue;
      if (CONSUMERS.has(from) && !entries.has(target))
        problems.push(`${where}: ${from}/ imports public entries only`);
      const lf = LAYERS[from]!;
      const lt = LAYERS[to];
      if (lt === undefined) problems.push(`${where}: target outside the layers`);
      else if (lt > lf) problems.push(`${where}: upward (L${lf} -> L${lt})`);
      else if (lt === lf) problems.push(`${where}: sideways within L${lf}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("tests may cross layers, but only cli/'s own tests import cli/, and none imports bench/ or dist/", () => {
  const problems: string[] = [];
  const cli = join(srcRoot, 'cli');
  for (const file of tests) {
    for (const { spec, target } of imports(file)) {
      if (target === undefined) continue; // node:*, fast-check, koffi: tests may use the host
      const where = `${relative(repo, file)} imports '${spec}'`;
      if (inside(cli, target) && !inside(cli, file)) problems.push(`${where}: cli/ internals are cli/'s own`);
      if (inside(join(repo, 'bench'), target)) problems.push(`${where}: tests do not depend on benchmarks`);
      if (inside(join(repo, 'dist'), target)) problems.push(`${where}: import the sources, not dist/`);
      if (!existsSync(target)) problems.push(`${where}: no such source file`);
    }
  }
  assert.deepEqual(problems, []);
});

test('bench/ (L7) imports only the public entries of package.json, its own files and the host', () => {
  assert.ok(bench.length > 0, 'bench/ has no files');
  const problems: string[] = [];
  for (const file of bench) {
    for (const { spec, target } of imports(file)) {
      if (target === undefined || inside(join(repo, 'bench'), target) || entries.has(target)) continue;
      problems.push(`${relative(repo, file)} imports '${spec}': bench/ uses the package as a user does`);
    }
  }
  assert.deepEqual(problems, []);
});
