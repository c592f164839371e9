// Nothing outside kernel/ and cli/ may need Node's types: tsconfig.browser.json type-checks all
// of src/ but those two folders and the tests with no `types` and only the ES2022 lib (plus
// ESNext.Disposable), and must pass. A file that uses a Node global under the same settings
// must fail, so the check is known to bite.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

function typeCheck(project: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('tsconfig.browser.json: no Node types, and only kernel/, cli/, the kernel data-plane platform and tests left out', () => {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.browser.json'), 'utf8')) as {
    compilerOptions: { types: string[]; lib: string[] };
    include: string[];
    exclude: string[];
  };
  assert.deepEqual(config.compilerOptions.types, []);
  assert.deepEqual(config.compilerOptions.lib, ['ES2022', 'ESNext.Disposable']);
  assert.deepEqual(config.include, ['src']);
  // src/dataplane/kernel.ts is the kernel platform of tsbpf/dataplane/kernel (Node only).
  assert.deepEqual(config.exclude, ['src/kernel', 'src/cli', 'src/dataplane/kernel.ts', 'src/**/*.test.ts']);
});

test('everything outside kernel/ and cli/ type-checks without Node types', () => {
  const r = typeCheck('tsconfig.browser.json');
  assert.equal(r.status, 0, r.output);
});

test('the browser check rejects a file that uses a Node global', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-browser-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'uses-node.ts'), 'export const pid: number = process.pid;\n');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.browser.json'),
        compilerOptions: { rootDir: '.' },
        include: [],
        files: ['uses-node.ts'],
      }),
    );
    const r = typeCheck(join(dir, 'tsconfig.json'));
    assert.notEqual(r.status, 0);
    assert.match(r.output, /Cannot find name 'process'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
