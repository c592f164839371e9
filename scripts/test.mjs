#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) on Node's own test runner.
// Node 20's runner takes no globs, so the file list is gathered here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filter = process.argv.slice(2);
// TSBPF_DIST lets parallel builds use their own output folder (e.g. dist-asm).
const files = collect(process.env.TSBPF_DIST ?? 'dist', []).filter(
  (f) => filter.length === 0 || filter.some((s) => f.includes(s)),
);
files.sort();
const run = (list, env) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...list], {
        stdio: 'inherit',
        env: { ...process.env, ...env },
      }).status ?? 1);
// Engine-level tests run on both engines (test/engines.ts): first on their default engine (the
// interpreter's own tests on it, load() users on the JIT), then again on the other one.
const onInterpByDefault = (f) => ['/src/interp/', '/src/kernel/oracle'].some((d) => f.includes(d));
const onJitByDefault = (f) =>
  ['/src/runtime/vm/', '/src/runtime/helpers/', '/src/kernel/parity', '/src/cli/conformance-plugin'].some(
    (d) => f.includes(d),
  );
let status = run(files, {});
if (process.env.TSBPF_ENGINE === undefined) {
  status ||= run(files.filter(onInterpByDefault), { TSBPF_ENGINE: 'jit' });
  status ||= run(files.filter(onJitByDefault), { TSBPF_ENGINE: 'interp' });
}
process.exit(status);
