// Bloom filter: no false negatives, a bounded false-positive rate, push flags and the commands
// the kernel refuses; the all-zero value lookup matches the kernel's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pair, u32, u64 } from '../../../test/gen/map-oracle.js';
import { BPF_ANY, BPF_F_ZERO_SEED } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { BloomFilterMap } from './bloom-filter.js';
import { createMap } from './create.js';

const none = new Uint8Array(0);

test('bloom filter: push flags, zero-value lookup, delete/next refused, as the kernel', () => {
  using p = pair({ type: 'BLOOM_FILTER', keySize: 0, valueSize: 4, maxEntries: 100 });
  p.same('push NOEXIST', (m) => m.update(none, u32(1), 1));
  p.same('push EXIST', (m) => m.update(none, u32(1), 2));
  for (let i = 1; i < 20; i++) p.same(`push ${i}`, (m) => m.update(none, u32(i), BPF_ANY));
  p.same('zero absent', (m) => m.lookup(none));
  p.same('push 0', (m) => m.update(none, u32(0), BPF_ANY));
  p.same('zero present', (m) => m.lookup(none));
  p.same('delete', (m) => m.delete(none));
  p.same('next', (m) => m.nextKey());
});

test('bloom filter: no false negatives; false positives rare; map_extra sets the hash count', () => {
  const space = new AddressSpace();
  using m = createMap(space, {
    type: 'BLOOM_FILTER',
    keySize: 0,
    valueSize: 8,
    maxEntries: 1000,
    flags: BPF_F_ZERO_SEED,
    mapExtra: 3n,
  });
  assert.ok(m instanceof BloomFilterMap);
  assert.equal(m.hashes, 3);
  for (let i = 0; i < 1000; i++) m.push(u64(BigInt(i) * 7919n));
  for (let i = 0; i < 1000; i++) assert.ok(m.peek(u64(BigInt(i) * 7919n)) !== undefined, `value ${i}`);
  let fp = 0;
  for (let i = 0; i < 10000; i++) if (m.peekElem(u64(BigInt(i) * 7919n + 1n)) === 0) fp++;
  assert.ok(fp < 1500, `false positives ${fp} of 10000`);
  assert.equal(m.popElem(new Uint8Array(8)), -95);
  using d = createMap(space, { type: 'BLOOM_FILTER', keySize: 0, valueSize: 4, maxEntries: 10 });
  assert.equal((d as BloomFilterMap).hashes, 5, 'map_extra 0 means 5 hash functions');
  assert.throws(
    () => createMap(space, { type: 'BLOOM_FILTER', keySize: 0, valueSize: 4, maxEntries: 1, mapExtra: 16n }),
    /EINVAL/,
  );
});
