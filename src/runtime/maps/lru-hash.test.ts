// LRU hash maps: flags and lookups agree with the kernel and a full map never refuses an insert;
// eviction order is exact LRU here (the kernel's is approximate, so it is tested on ours only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, keySet, pair, u32 } from '../../../test/gen/map-oracle.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';

test('LRU hash: flag errnos match the kernel; inserts past max_entries evict, never E2BIG', () => {
  using p = pair({ type: 'LRU_HASH', keySize: 4, valueSize: 4, maxEntries: 4 });
  p.same('EXIST on missing', (m) => m.update(u32(1), u32(1), BPF_EXIST));
  p.same('insert', (m) => m.update(u32(1), u32(1), BPF_NOEXIST));
  p.same('NOEXIST on present', (m) => m.update(u32(1), u32(2), BPF_NOEXIST));
  p.same('lookup', (m) => m.lookup(u32(1)));
  p.same('bad flags', (m) => m.update(u32(1), u32(2), 3));
  for (let i = 2; i < 12; i++) {
    p.same(`insert ${i}`, (m) => m.update(u32(i), u32(i), BPF_ANY));
    p.same(`lookup newest ${i}`, (m) => m.lookup(u32(i)));
  }
  const ours = keySet(p.ours);
  assert.equal(ours.length, 4);
  if (p.kern) assert.ok(keySet(p.kern).length <= 4);
  p.same('delete missing', (m) => m.delete(u32(100)));
});

test('LRU hash: the least recently used element goes first; program lookups refresh', () => {
  const space = new AddressSpace();
  using m = createMap(space, { type: 'LRU_HASH', keySize: 4, valueSize: 4, maxEntries: 3 });
  for (const k of [1, 2, 3]) m.update(u32(k), u32(k));
  assert.notEqual(m.lookupAddress(u32(1)), 0); // 1 is now the most recent
  m.lookup(u32(2)); // user-space lookups do not count
  m.update(u32(4), u32(4)); // evicts 2
  assert.equal(m.lookup(u32(2)), undefined);
  assert.deepEqual(keySet(m), [1, 3, 4].map((k) => Buffer.from(u32(k)).toString('hex')).sort());
  m.update(u32(3), u32(33)); // an update refreshes too
  assert.equal(m.updateElem(u32(5), u32(5), BPF_ANY), 0); // evicts 1
  assert.equal(m.lookup(u32(1)), undefined);
  assert.deepEqual(m.lookup(u32(3)), u32(33));
  m.delete(u32(4));
  m.update(u32(6), u32(6)); // room after a delete: nothing evicted
  assert.equal(keySet(m).length, 3);
  assert.deepEqual(m.lookup(u32(5)), u32(5));
});

test('LRU per-CPU hash: per-CPU values and eviction together', () => {
  using p = pair({ type: 'LRU_PERCPU_HASH', keySize: 4, valueSize: 8, maxEntries: 2 });
  const v = new Uint8Array(8 * cpus).fill(7);
  p.same('insert', (m) => m.update(u32(1), v));
  p.same('lookup', (m) => m.lookup(u32(1)));
  p.same('NOEXIST', (m) => m.update(u32(1), v, BPF_NOEXIST));
  const ours = p.ours;
  ours.update(u32(2), v);
  ours.update(u32(3), v);
  assert.equal(ours.lookup(u32(1)), undefined);
  assert.equal(ours.updateElem(u32(3), new Uint8Array(8).fill(1), BPF_ANY, 1), 0);
  assert.equal(p.space.readU64(ours.lookupAddress(u32(3), 1)), 0x0101010101010101n);
  assert.equal(p.space.readU64(ours.lookupAddress(u32(3), 0)), 0x0707070707070707n);
});
