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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
