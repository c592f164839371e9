// `tsbpf prog run` on a program whose section tells no type: refused at load (exit 1, the
// section named) unless `--type` gives one; an unknown --type is a usage error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin/tsbpf.js');
const obj = 'test/fixtures/helpers/untyped.o';
const packet = '000000000000000000000000080045000014000000004000400000000a0000010a000002';

function tsbpf(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('prog run refuses an untyped program at load, runs it with --type', () => {
  const refused = tsbpf('prog', 'run', obj, '--packet', packet);
  assert.equal(refused.code, 255);
  assert.match(refused.err, /program type of section 'my_filter'/);
  const typed = tsbpf('prog', 'run', obj, '--type', 'xdp', '--packet', packet);
  assert.equal(typed.code, 0, typed.err);
  assert.match(typed.out, /untyped \(XDP\)[\s\S]*\n {2}#0: .*XDP_PASS \(2\)/);
  const bad = tsbpf('prog', 'run', obj, '--type', 'bogus', '--packet', packet);
  assert.equal(bad.code, 255);
  assert.match(bad.err, /--type: unknown program type 'bogus'/);
});
