// LIBBPF_PIN_BY_NAME on the kernel: test/fixtures/elf/maps.o declares `pinned_lru` pinned by
// name. Loaded with a pinPath (a private bpffs), the map is pinned; a second load reuses it
// (same id, contents kept); an incompatible declaration fails naming the difference; without
// a pinPath nothing is pinned and a note says so; a failed load leaves no pin.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bpffsSkip, privateBpffs } from '../../test/control/bpffs.js';
import { loadCollectionSpec } from '../elf/index.js';
import { LoadError, VerifierError } from '../errors.js';
import type { CollectionSpec } from '../program/index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';

const root = new URL('../../../', import.meta.url);
const avail = bpfAvailability();
const skip = avail.ok ? bpffsSkip() : avail.reason;
const spec = (): CollectionSpec =>
  loadCollectionSpec(new Uint8Array(readFileSync(new URL('test/fixtures/elf/maps.o', root))));

const key = new Uint8Array([7, 0, 0, 0]);
const value = new Uint8Array([42, 0, 0, 0]);

test('a map pinned by name is pinned under pinPath and reused by the next load', { skip }, () => {
  using fs = privateBpffs('k12');
  let id: number;
  {
    using first = loadKernel(spec(), { pinPath: fs.path });
    const pins = () => readdirSync(fs.path).filter((f) => !f.endsWith('.debug')); // a new bpffs holds maps.debug, progs.debug
    assert.deepEqual(pins(), ['pinned_lru'], 'only the by-name map is pinned');
    first.map('pinned_lru').update(key, value);
    id = first.map('pinned_lru').kernel.id;
  }
  // The first collection is closed: only the pin holds the map.
  using second = loadKernel(spec(), { pinPath: fs.path });
  assert.equal(second.map('pinned_lru').kernel.id, id, 'the same kernel map');
  assert.deepEqual(second.map('pinned_lru').lookup(key), value, 'with its contents');
  assert.ok(second.notes.some((n) => /pinned_lru: reused the map pinned at/.test(n)));
  assert.notEqual(second.map('flows').kernel.id, undefined);
});

test('an incompatible pinned map fails the load naming the difference; nothing new is pinned', {
  skip,
}, () => {
  using fs = privateBpffs('k12');
  loadKernel(spec(), { pinPath: fs.path }).close();
  assert.throws(
    () => loadKernel(spec(), { pinPath: fs.path, mapOverrides: { pinned_lru: { maxEntries: 128 } } }),
    (e: unknown) =>
      e instanceof LoadError &&
      /map pinned_lru: the map pinned at .*pinned_lru is incompatible: max_entries 64 pinned, 128 here/.test(
        e.message,
      ),
  );
  const s = spec();
  const changed: CollectionSpec = {
    ...s,
    maps: s.maps.map((m) =>
      m.name === 'pinned_lru' ? { ...m, type: 'HASH', valueSize: 8, btfValueType: undefined } : m,
    ) as CollectionSpec['maps'],
  };
  assert.throws(
    () => loadKernel(changed, { pinPath: fs.path }),
    /type LRU_HASH pinned, HASH here; value_size 4 pinned, 8 here/,
  );
});

test('without pinPath a by-name map is not pinned (noted); a failed load leaves no pin', { skip }, () => {
  using fs = privateBpffs('k12');
  using c = loadKernel(spec());
  assert.ok(c.notes.some((n) => /pinned_lru: pinning by name asked for, but no pinPath given/.test(n)));
  const s = spec();
  const broken: CollectionSpec = {
    ...s,
    programs: s.programs.map((p) => ({ ...p, instructions: p.instructions.slice(-1) })), // `exit` with r0 unset
  };
  assert.throws(
    () => loadKernel(broken, { pinPath: fs.path }),
    VerifierError,
    'refused after its maps were made',
  );
  assert.equal(existsSync(`${fs.path}/pinned_lru`), false);
});
