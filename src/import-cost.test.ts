// Importing the package must be light (a browser page pays for it on load): `import('tsbpf')`
// may allocate less than 1 MB of buffers. Measured in a fresh process, so nothing this test
// runner loaded counts: process.memoryUsage() arrayBuffers and external before and after. V8
// keeps module source text as external strings, so the source of every module the entry
// reaches statically is taken off `external`: what is left is what importing allocated.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Bytes of source of `entry` and every module its static imports reach. */
function sourceBytes(entry: string): number {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g))
      visit(resolve(dirname(file), m[1]!));
  };
  visit(entry);
  let n = 0;
  for (const f of seen) n += statSync(f).size;
  return n;
}

const LIMIT = 1 << 20;

const probe = `
const before = process.memoryUsage();
await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
globalThis.gc();
const after = process.memoryUsage();
console.log(JSON.stringify({
  arrayBuffers: after.arrayBuffers - before.arrayBuffers,
  external: after.external - before.external,
}));
`;

test("import('tsbpf') allocates less than 1 MB of buffers", (t) => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const grew = JSON.parse(r.stdout) as { arrayBuffers: number; external: number };
  assert.ok(grew.arrayBuffers < LIMIT, `arrayBuffers grew by ${grew.arrayBuffers} bytes`);
  const source = sourceBytes(fileURLToPath(new URL('./index.js', import.meta.url)));
  const allocated = grew.external - source;
  t.diagnostic(
    `external +${grew.external} bytes, module source ${source}, arrayBuffers +${grew.arrayBuffers}`,
  );
  assert.ok(allocated < LIMIT, `external grew by ${grew.external} bytes, ${source} of them module source`);
});
