// The address space: allocation above the null guard, gaps between regions, lookup, release and
// reuse, checked accessors, fault descriptions, read-only regions, and growth of the memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryFault } from '../errors.js';
import { NULL_GUARD } from './abi.js';
import { AddressSpace, REGION_GAP } from './memory.js';

test('regions start above the null guard, aligned, separated by a gap, and zeroed', () => {
  const s = new AddressSpace();
  const a = s.allocate('a', 10, { kind: 'mem' });
  const b = s.allocate('b', 100, { kind: 'map', align: 64 });
  assert.ok(a.start >= NULL_GUARD);
  assert.equal(a.end, a.start + 10);
  assert.equal(b.start % 64, 0);
  assert.ok(b.start >= a.end + REGION_GAP);
  assert.ok(s.u8.subarray(b.start, b.end).every((x) => x === 0));
  assert.equal(s.find(a.start, 10), a);
  assert.equal(s.find(a.start + 5, 6), undefined, 'straddles the end');
  assert.equal(s.find(b.end - 1, 1), b);
  assert.equal(s.find(0, 1), undefined);
  assert.deepEqual(
    s.regions.map((r) => r.name),
    ['a', 'b'],
  );
});

test('release unmaps a region and its hole is reused', () => {
  const s = new AddressSpace();
  const a = s.allocate('a', 64, { kind: 'mem' });
  const b = s.allocate('b', 64, { kind: 'mem' });
  s.writeU32(a.start, 7);
  s.release(a);
  assert.equal(s.find(a.start, 4), undefined);
  assert.throws(() => s.readU32(a.start), MemoryFault);
  assert.throws(() => s.release(a), RangeError);
  const c = s.allocate('c', 32, { kind: 'mem' });
  assert.ok(c.end <= b.start, 'fits in the hole before b');
  assert.equal(s.readU32(c.start), 0, 'reused memory is zeroed');
});

test('checked accessors read and write little-endian and fault outside regions', () => {
  const s = new AddressSpace();
  const r = s.allocate('r', 16, { kind: 'mem' });
  s.writeU64(BigInt(r.start), 0x0102030405060708n);
  assert.equal(s.readU8(r.start), 8);
  assert.equal(s.readU16(r.start), 0x0708);
  assert.equal(s.readU32(r.start + 4), 0x01020304);
  assert.equal(s.readU64(r.start), 0x0102030405060708n);
  s.writeBytes(r.start + 8, new Uint8Array([9, 9]));
  assert.deepEqual([...s.bytes(r.start + 7, 3)], [1, 9, 9]);
  assert.throws(() => s.readU64(r.start + 9), MemoryFault);
  assert.throws(() => s.readU8(-1), MemoryFault);
  assert.throws(() => s.readU8(2n ** 64n - 1n), MemoryFault);
});

test('faults describe the nearest region with the offset from its start', () => {
  const s = new AddressSpace();
  const r = s.allocate('ctx', 16, { kind: 'ctx', writable: false });
  try {
    s.check(r.end + 4, 4, 'read', 12);
    assert.fail('no fault');
  } catch (e) {
    assert.ok(e instanceof MemoryFault);
    assert.equal(e.pc, 12);
    assert.equal(e.address, BigInt(r.end + 4));
    assert.equal(e.nearest, `ctx 'ctx' read-only [0x${r.start.toString(16)}, 0x${r.end.toString(16)}) +0x14`);
    assert.match(e.message, /^pc 12: invalid read of 4 bytes at 0x[0-9a-f]+ \(nearest region: ctx 'ctx'/);
  }
  assert.throws(
    () => s.writeU8(r.start, 1),
    (e: unknown) => e instanceof MemoryFault && e.access === 'write',
  );
  assert.equal(new AddressSpace().describeNearest(0x20000), undefined);
});

test('the memory grows on demand and the views follow', () => {
  const s = new AddressSpace({ initialPages: 2 });
  const before = s.u8;
  const big = s.allocate('big', 1 << 20, { kind: 'ringbuf' });
  assert.ok(s.memory.buffer.byteLength >= big.end);
  assert.notEqual(s.u8, before);
  s.writeU32(big.end - 4, 0xdeadbeef);
  assert.equal(s.view.getUint32(big.end - 4, true), 0xdeadbeef);
  assert.throws(() => s.allocate('bad', -1, { kind: 'mem' }), RangeError);
});
