// Runs every case in test/conformance/ through the plugin executable exactly as the
// bpf_conformance runner does: memory hex as argv[1], program hex on stdin, r0 hex on stdout.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOAD_ENGINE as ENGINE } from '../../test/engines.js';
import { parseConformanceCase } from './conformance-data.js';
import { toHex } from './hex.js';

const root = new URL('../../../', import.meta.url);
const casesDir = fileURLToPath(new URL('test/conformance/', root));
const plugin = fileURLToPath(new URL('bin/tsbpf-conformance-plugin.js', root));

/** Hex as the upstream runner writes it: each byte followed by two spaces. */
const runnerHex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => `${b.toString(16).padStart(2, '0')}  `).join('');

test(`the conformance plugin passes every case in test/conformance (--engine ${ENGINE})`, async (t) => {
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.data'));
  assert.ok(files.length >= 20);
  for (const file of files) {
    await t.test(file, () => {
      const c = parseConformanceCase(readFileSync(casesDir + file, 'utf8'));
      const run = spawnSync(process.execPath, [plugin, runnerHex(c.memory), '--engine', ENGINE], {
        input: `${runnerHex(c.program)}\n`,
        encoding: 'utf8',
      });
      // A JIT refusal is stated on stderr; on the JIT pass it fails the case (no case needs one).
      if (ENGINE === 'jit') assert.doesNotMatch(run.stderr, /the JIT cannot compile/);
      if (c.error !== undefined) {
        assert.notEqual(run.status, 0, `expected failure, got ${run.stdout}`);
        assert.match(run.stdout, new RegExp(c.error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      } else {
        assert.equal(run.status, 0, run.stderr);
        assert.equal(BigInt(`0x${run.stdout.trim()}`), c.result, `memory ${toHex(c.memory)}`);
      }
    });
  }
});

test('the plugin rejects bad hex and unknown arguments with exit code 1', () => {
  const bad = spawnSync(process.execPath, [plugin, ''], { input: 'zz\n', encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not hex/);
  const arg = spawnSync(process.execPath, [plugin, '', '--bogus'], {
    input: '95 00 00 00 00 00 00 00\n',
    encoding: 'utf8',
  });
  assert.equal(arg.status, 1);
});

test('--engine jit says on stderr when the JIT refuses a program and the interpreter runs it', () => {
  // ja +1 over the last instruction: a jump out of range, which the JIT refuses when it builds the
  // CFG; the interpreter runs the first exit and never reaches the bad jump.
  const program = '95 00 00 00 00 00 00 00\n';
  const ok = spawnSync(process.execPath, [plugin, '', '--engine', 'jit'], {
    input: program,
    encoding: 'utf8',
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.doesNotMatch(ok.stderr, /JIT cannot compile/);
  const bad = spawnSync(process.execPath, [plugin, '', '--engine', 'jit'], {
    input: '95 00 00 00 00 00 00 00 05 00 01 00 00 00 00 00\n',
    encoding: 'utf8',
  });
  assert.equal(bad.status, 0, bad.stderr);
  assert.equal(bad.stdout.trim(), '0');
  assert.match(
    bad.stderr,
    /the JIT cannot compile this program \(.*jump out of range.*\); running it on the interpreter/,
  );
});
