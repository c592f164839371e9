// `tsbpf gen skeleton`: the module on stdout is the committed skeleton (the same generator),
// -o writes it, --json carries it, and bad input is a usage error with exit code 1.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin/tsbpf.js');

function tsbpf(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const object = 'examples/xdp_global_data.v3.o';
const committed = readFileSync(join(root, 'examples/skeletons/xdp_global_data.bpf.ts'), 'utf8');

test('gen skeleton prints the module; the name defaults to the file name up to its first dot', () => {
  const r = tsbpf('gen', 'skeleton', object);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, committed);
  assert.match(tsbpf('gen', 'skeleton', object, '--name', 'gd').out, /export const OBJECT_NAME = 'gd';/);
});

test('gen skeleton -o writes the file; --json carries the text', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tsbpf-gen-')), 'gd.bpf.ts');
  const r = tsbpf('gen', 'skeleton', object, '-o', out);
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(out, 'utf8'), committed);
  const j = JSON.parse(tsbpf('gen', 'skeleton', object, '--json').out);
  assert.equal(j.name, 'xdp_global_data');
  assert.equal(j.text, committed);
});

test('gen refuses a missing subcommand, a missing file, a bad name and a non-object', () => {
  for (const args of [
    ['gen'],
    ['gen', 'skel', object],
    ['gen', 'skeleton', 'examples/none.o'],
    ['gen', 'skeleton', object, '--name', 'a b'],
    ['gen', 'skeleton', 'examples/README.md'],
  ]) {
    const r = tsbpf(...args);
    assert.equal(r.code, 255, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, /^(Error|Usage)/m, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
