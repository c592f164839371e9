#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) on Node's own test runner.
// Node 20's runner takes no globs, so the file list is gathered here.
import { spawn } from 'node:child_process';
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
// Limits for a loaded CI machine (2 cores shared; a whole `npm test` takes 6-12 min, 26 min at load
// average 20-28), so that a hung test fails with its file named instead of running into CI's
// 90-minute limit. Each is in minutes and can be raised through the environment.
const minutes = (name, fallback) => {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0)) throw new Error(`${name}: a positive number of minutes, not '${process.env[name]}'`);
  return v;
};
// A file's run: Node 20's runner starts the clock when it spawns the file, kills the file's process
// when it runs out (also when the process is blocked in a synchronous call) and reports that file
// as `test timed out after N ms`. The slowest files (src/kernel/oracle.test.ts on the JIT,
// src/interp/alu.test.ts) took about 5 min with the machine at load average 20.
const FILE_MINUTES = minutes('TSBPF_TEST_FILE_MINUTES', 15);
// All passes: a process a killed file started may still hold the runner's output open, and the
// runner waits for it. Each pass runs in a process group of its own, killed whole once this much
// time has gone since the start: before CI's limit, with room for its set-up, and never earlier
// than a run CI would have let finish.
const DEADLINE = Date.now() + minutes('TSBPF_TEST_MINUTES', 70) * 60_000;

/** Runs node's test runner on `list` with `env` added; resolves to its exit status. */
function run(list, env) {
  if (list.length === 0) return Promise.resolve(0);
  const start = Date.now();
  const child = spawn(
    process.execPath,
    ['--test', '--test-concurrency=2', `--test-timeout=${FILE_MINUTES * 60_000}`, ...list],
    // No stdin: a process group of its own is not the terminal's foreground group.
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, detached: true },
  );
  const group = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  // Ctrl-C and CI's cancel reach the group too, which a new process group no longer gets itself.
  const forward = (signal) => group(signal);
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, forward);
  let timedOut = false;
  const limit = setTimeout(
    () => {
      timedOut = true;
      console.error(
        `scripts/test.mjs: the tests did not end within ${process.env.TSBPF_TEST_MINUTES ?? 70} min ` +
          `(TSBPF_TEST_MINUTES); killing the pass ${JSON.stringify(env)}. Look above for a file that timed out.`,
      );
      group('SIGKILL');
    },
    Math.max(0, DEADLINE - Date.now()),
  );
  return new Promise((resolveStatus) => {
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      for (const s of ['SIGINT', 'SIGTERM']) process.off(s, forward);
      // What a file left running in the group (it outlived its file's timeout) goes too.
      group('SIGKILL');
      // The time of each pass, to keep the cost of the second engine in view.
      console.error(
        `scripts/test.mjs: ${list.length} files, ${JSON.stringify(env)}: ${Math.round((Date.now() - start) / 1000)} s`,
      );
      resolveStatus(timedOut || signal !== null ? 1 : (code ?? 1));
    });
  });
}
// Tests that run programs run on both engines: every file using test/engines.js runs once with
// TSBPF_ENGINE=interp (with the rest, which does not read it) and again with TSBPF_ENGINE=jit.
// TSBPF_ENGINE set by the caller runs everything once, on that engine.
let status;
if (process.env.TSBPF_ENGINE !== undefined) status = await run(files, {});
else {
  status = await run(files, { TSBPF_ENGINE: 'interp' });
  status ||= await run(
    files.filter((f) => usesEngines(resolve(f))),
    { TSBPF_ENGINE: 'jit' },
  );
}
process.exit(status);
