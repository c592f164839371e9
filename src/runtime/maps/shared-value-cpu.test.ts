// A program on any CPU sees the one shared value of a plain ARRAY, HASH or LRU_HASH element
// (bpf_map_lookup_elem / update from CPU 1 touch what CPU 0 sees); only per-CPU maps keep one
// value per CPU. Found by the backend parity test (src/kernel/parity.test.ts) running on CPU 1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MapTypeName } from '../../uapi/map-types.js';
import { AddressSpace } from '../memory.js';
import { u32Bytes } from './base.js';
import { createMap } from './create.js';

for (const type of ['ARRAY', 'HASH', 'LRU_HASH'] as MapTypeName[]) {
  test(`${type}: the value a program reaches from CPU 1 is the one CPU 0 reaches`, () => {
    const space = new AddressSpace();
    const m = createMap(space, { type, keySize: 4, valueSize: 8, maxEntries: 4 }, { cpus: 2 });
    const key = u32Bytes(2);
    assert.equal(m.updateElem(key, new Uint8Array(8).fill(7), 0, 1), 0);
    const at0 = m.lookupAddress(key, 0);
    assert.notEqual(at0, 0);
    assert.equal(m.lookupAddress(key, 1), at0);
    assert.deepEqual(m.lookup(key), new Uint8Array(8).fill(7));
  });
}

for (const type of ['PERCPU_ARRAY', 'PERCPU_HASH'] as MapTypeName[]) {
  test(`${type}: CPU 1 has its own value, its own element after CPU 0's`, () => {
    const space = new AddressSpace();
    const m = createMap(space, { type, keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 2 });
    const key = u32Bytes(1);
    assert.equal(m.updateElem(key, new Uint8Array([1, 2, 3, 4]), 0, 1), 0);
    const cpu0 = m.lookupAddress(key, 0);
    assert.ok(m.lookupAddress(key, 1) - cpu0 >= 8 + 64, "a gap between the CPUs' values");
    assert.equal(space.find(cpu0, 4)?.kind, 'map');
    assert.equal(space.find(cpu0 + 4, 1), undefined, "CPU 0's value ends at value_size");
    assert.equal(space.find(m.lookupAddress(key, 1), 4)?.kind, 'map');
    assert.deepEqual(m.lookup(key), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]));
  });
}
