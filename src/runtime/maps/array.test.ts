// Array and per-CPU array maps: the user-side API against the kernel's map of the same spec,
// and the program side (value addresses in the AddressSpace, per-CPU values, read-only maps).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, keyList, pair, u32, u64 } from '../../../test/gen/map-oracle.js';
import { ClosedError, MemoryFault } from '../../errors.js';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY_PROG, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { ArrayMap } from './array.js';
import { createMap } from './create.js';

test('array: same results and errnos as the kernel', () => {
  using p = pair({ type: 'ARRAY', keySize: 4, valueSize: 12, maxEntries: 4 });
  const v = (n: number) => new Uint8Array(12).fill(n);
  p.same('fresh value is zero', (m) => m.lookup(u32(2)));
  p.same('out of range lookup', (m) => m.lookup(u32(4)));
  for (const [k, f] of [
    [0, BPF_ANY],
    [1, BPF_EXIST],
    [2, BPF_NOEXIST],
    [4, BPF_ANY],
    [4, BPF_NOEXIST],
    [3, 3],
    [3, BPF_F_LOCK],
  ] as const)
    p.same(`update ${k} flags ${f}`, (m) => m.update(u32(k), v(k + 1), f));
  for (const k of [0, 1, 2, 3]) p.same(`lookup ${k}`, (m) => m.lookup(u32(k)));
  p.same('delete', (m) => m.delete(u32(0)));
  p.same('delete out of range', (m) => m.delete(u32(9)));
  for (const k of [undefined, 0, 2, 3, 4, 0xffffffff])
    p.same(`next ${k}`, (m) => m.nextKey(k === undefined ? k : u32(k)));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
});

test('per-CPU array: every CPU value, padded to 8 bytes, as the kernel gives them', () => {
  using p = pair({ type: 'PERCPU_ARRAY', keySize: 4, valueSize: 4, maxEntries: 2 });
  assert.equal(p.ours.valueBufferSize, 8 * cpus);
  const all = new Uint8Array(8 * cpus);
  for (let c = 0; c < cpus; c++) all.set(u32(0x100 + c), 8 * c);
  p.same('update all CPUs', (m) => m.update(u32(1), all));
  p.same('lookup all CPUs', (m) => m.lookup(u32(1)));
  p.same('lookup zero', (m) => m.lookup(u32(0)));
  p.same('NOEXIST', (m) => m.update(u32(1), all, BPF_NOEXIST));
  // Program side: each CPU sees its own value.
  for (let c = 0; c < cpus; c++) assert.equal(p.space.readU32(p.ours.lookupAddress(u32(1), c)), 0x100 + c);
  assert.equal(p.ours.lookupAddress(u32(1), cpus), 0, 'no such CPU: NULL');
  assert.equal(p.ours.updateElem(u32(0), u32(7), BPF_ANY, 1), 0);
  const got = p.ours.lookup(u32(0))!;
  assert.deepEqual([...got.subarray(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...got.subarray(8, 12)], [7, 0, 0, 0]);
});

test('array program side: a store through the looked-up address is what user space reads', () => {
  const space = new AddressSpace();
  using m = createMap(space, { type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 3, name: 'counts' });
  const a = m.lookupAddress(u32(2));
  assert.notEqual(a, 0);
  assert.equal(a % 8, 0);
  assert.equal(m.lookupAddress(u32(3)), 0);
  space.writeU64(a, space.readU64(a) + 1n); // *(u64 *)(r0 + 0) += 1
  space.writeU64(a, space.readU64(a) + 1n);
  assert.deepEqual(m.lookup(u32(2)), u64(2n));
  m.update(u32(2), u64(40n));
  assert.equal(space.readU64(a), 40n);
  // Each value is its own element with a guard gap after it: value 0 overrun into value 1 faults.
  const v0 = m.lookupAddress(u32(0));
  assert.equal(m.lookupAddress(u32(1)) - v0, (m as unknown as { stride: number }).stride);
  for (const off of [8, 9, 16, 64, 4096, 32767]) assert.throws(() => space.readU8(v0 + off), MemoryFault);
  assert.throws(() => space.readU64(v0 + 4), MemoryFault, 'straddles the value end');
  assert.equal(m.updateElem(u32(0), u64(5n), BPF_NOEXIST), -17);
  assert.equal(m.updateElem(u32(9), u64(5n), BPF_ANY), -7);
  assert.equal(m.deleteElem(u32(0)), -22);
  assert.throws(() => space.readU64(a + 8 * 2), MemoryFault, 'past the last value faults');
  m.close();
  assert.throws(() => m.lookup(u32(0)), ClosedError);
  assert.throws(() => space.readU64(a), MemoryFault, 'a closed map is unmapped');
});

test('array flags: RDONLY_PROG makes values read-only to programs; direct value address', () => {
  const space = new AddressSpace();
  using ro = createMap(space, {
    type: 'ARRAY',
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
    flags: BPF_F_RDONLY_PROG,
  });
  const a = ro.lookupAddress(u32(0));
  assert.throws(() => space.writeU32(a, 1), MemoryFault);
  ro.update(u32(0), u32(9));
  assert.equal(space.readU32(a), 9);
  assert.ok(ro instanceof ArrayMap);
  assert.equal(ro.directValueAddress(2), a + 2);
  assert.equal(ro.directValueAddress(4), -22);
  using mm = createMap(space, { type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 3, flags: 0x400 });
  assert.equal(mm.lookupAddress(u32(0)) % 4096, 0, 'BPF_F_MMAPABLE values start on a page');
});

test('array batch: lookup and update in rounds; delete batch is ENOTSUPP', () => {
  const space = new AddressSpace();
  using m = createMap(space, { type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 5 });
  assert.equal(m.updateBatch([u32(0), u32(1), u32(2)], [u32(10), u32(11), u32(12)]), 3);
  const b1 = m.lookupBatch(undefined, 2);
  assert.deepEqual(b1.values, [u32(10), u32(11)]);
  const b2 = m.lookupBatch(b1.cursor, 10);
  assert.deepEqual(b2.keys, [u32(2), u32(3), u32(4)]);
  assert.equal(b2.cursor, undefined);
  assert.throws(() => m.deleteBatch([u32(0)]), /ENOTSUPP/);
  assert.throws(
    () => m.updateBatch([u32(0), u32(9)], [u32(1), u32(1)]),
    (e: unknown) => e instanceof Error && 'count' in e && e.count === 1 && /E2BIG/.test(e.message),
  );
});
