// Importing the package must be light (a browser page pays for it on load): `import('tsbpf')`
// may allocate less than 1 MB of buffers. Measured in a fresh process, so nothing this test
// runner loaded counts: process.memoryUsage() arrayBuffers and external before and after. The
// buffers the module loader reads source files into die only after the import's task ends, so
// the probe collects, yields one macrotask and collects again (one collection left up to 1 MB
// of them alive in some runs).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const LIMIT = 1 << 20;

const probe = `
const before = process.memoryUsage();
await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
globalThis.gc();
await new Promise((r) => setTimeout(r, 0));
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
  t.diagnostic(`external +${grew.external} bytes, arrayBuffers +${grew.arrayBuffers}`);
  assert.ok(grew.external < LIMIT, `external grew by ${grew.external} bytes`);
});
