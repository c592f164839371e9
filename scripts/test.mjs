#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) on Node's own test runner.
// Node 20's runner takes no globs, so the file list is gathered here.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

// A file runs programs through test/engines.js (EngineUnderTest, loadUnderTest, LOAD_ENGINE)
// when it or a module it imports (relative imports, followed) imports that module.
const seen = new Map();
function usesEngines(file) {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, false); // an import cycle adds nothing
  let source = '';
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const imports = [...source.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+\.js)'/g)].map((m) =>
    resolve(dirname(file), m[1]),
  );
  const found = imports.some((i) => i.endsWith('/test/engines.js') || usesEngines(i));
  seen.set(file, found);
  return found;
}

const filter = process.argv.slice(2);
// TSBPF_DIST lets parallel builds use their own output folder (e.g. dist-asm).
const files = collect(process.env.TSBPF_DIST ?? 'dist', []).filter(
  (f) => filter.length === 0 || filter.some((s) => f.includes(s)),
);
files.sort();
function run(list, env) {
  if (list.length === 0) return 0;
  const start = Date.now();
  const status =
    spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...list], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    }).status ?? 1;
  // The time of each pass, to keep the cost of the second engine in view.
  console.error(
    `scripts/test.mjs: ${list.length} files, ${JSON.stringify(env)}: ${Math.round((Date.now() - start) / 1000)} s`,
  );
  return status;
}
// Tests that run programs run on both engines: every file using test/engines.js runs once with
// TSBPF_ENGINE=interp (with the rest, which does not read it) and again with TSBPF_ENGINE=jit.
// TSBPF_ENGINE set by the caller runs everything once, on that engine.
let status;
if (process.env.TSBPF_ENGINE !== undefined) status = run(files, {});
else {
  status = run(files, { TSBPF_ENGINE: 'interp' });
  status ||= run(
    files.filter((f) => usesEngines(resolve(f))),
    { TSBPF_ENGINE: 'jit' },
  );
}
process.exit(status);
