// The public API is what test/api/snapshot.txt lists: every value and type name of each package
// entry. A name added, removed or renamed anywhere behind an entry fails here until the snapshot
// is regenerated (`npm run api`) and the change is reviewed with it. Entries use no `export *`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { entries, SNAPSHOT, surface } from '../test/api/surface.js';

test('the public names of every entry are the reviewed ones (test/api/snapshot.txt)', async () => {
  assert.equal(
    await surface(),
    readFileSync(SNAPSHOT, 'utf8'),
    'public API changed: review it, then `npm run api`',
  );
});

test('the entries are tsbpf, tsbpf/kernel, tsbpf/net, tsbpf/dataplane and tsbpf/dataplane/kernel, and none re-exports a whole module', () => {
  const exported = entries();
  assert.deepEqual(Object.keys(exported), ['.', './kernel', './net', './dataplane', './dataplane/kernel']);
  for (const target of Object.values(exported)) {
    const source = readFileSync(
      new URL(`../../${target.replace('./dist/', '').replace(/\.js$/, '.ts')}`, import.meta.url),
      'utf8',
    );
    assert.doesNotMatch(source, /export\s+\*/, `${target}: list the names (no export *)`);
  }
});
