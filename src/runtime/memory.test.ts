// The address space: allocation above the null guard, guard gaps between regions, lookup, release
// and reuse, reservations and their windows, strided regions, the hit cache, the region table in
// linear memory, checked accessors, fault descriptions, read-only regions, and growth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryFault } from '../errors.js';
import {
  GUARD_GAP,
  NULL_GUARD,
  REGION_ENTRY_BYTES,
  REGION_KIND,
  REGION_TABLE,
  REGION_TABLE_MAGIC,
  REGION_WRITABLE,
} from './abi.js';
import { AddressSpace, elementStride, type LinearMemory, type Region } from './memory.js';

// The ES2022 lib has no WebAssembly types (as in memory.ts).
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum?: number }) => LinearMemory;
};

test('regions start above the null guard, aligned, separated by a gap, and zeroed', () => {
  const s = new AddressSpace();
  const a = s.allocate('a', 10, { kind: 'mem' });
  const b = s.allocate('b', 100, { kind: 'map', align: 64 });
  assert.ok(a.start >= NULL_GUARD);
  assert.equal(a.end, a.start + 10);
  assert.equal(b.start % 64, 0);
  assert.ok(b.start >= a.end + GUARD_GAP);
  assert.ok(a.start >= NULL_GUARD + GUARD_GAP, 'NULL + 32767 faults too');
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

test('an address in the null page is described as NULL plus an offset, not as the lowest region', () => {
  const s = new AddressSpace();
  s.allocate('ctx', 24, { kind: 'ctx' });
  assert.equal(s.describeNearest(0x1000n), 'the null page [0x0, 0x10000), no region (NULL + 0x1000)');
  assert.throws(() => s.readU32(8), /nearest region: the null page .*NULL \+ 0x8/);
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

test('growth is geometric: many small blocks grow the memory a few times, within a maximum', () => {
  const real = new WebAssembly.Memory({ initial: 16 });
  let grows = 0;
  const counted = {
    get buffer() {
      return real.buffer;
    },
    grow(pages: number) {
      grows++;
      return real.grow(pages);
    },
  };
  const s = new AddressSpace({ memory: counted });
  // 64 blocks of a page and their guard gaps (a data path's RX contexts): ~2.6 MiB.
  for (let k = 0; k < 64; k++) s.reserve(`frame ${k}`, 4096, { kind: 'packet' });
  assert.ok(real.buffer.byteLength >= s.reservations.at(-1)!.end);
  assert.ok(grows <= 8, `${grows} grows`);
  // A maximum the larger step would pass: the memory grows by what is needed.
  // (1 MiB past 16 pages needs 19 of at most 20; half the memory again would be 24.)
  const capped = new AddressSpace({ memory: new WebAssembly.Memory({ initial: 16, maximum: 20 }) });
  const r = capped.reserve('near the top', 0x100000, { kind: 'mem' });
  assert.equal(capped.memory.buffer.byteLength, 19 * 0x10000);
  assert.ok(r.end <= 19 * 0x10000);
});

/** The region table as compiled code would read it (abi.ts layout). */
function table(
  s: AddressSpace,
): { start: number; end: number; stride: number; elemSize: number; flags: number }[] {
  const v = s.view;
  assert.equal(v.getUint32(REGION_TABLE, true), REGION_TABLE_MAGIC);
  const n = v.getUint32(REGION_TABLE + 4, true);
  const at = v.getUint32(REGION_TABLE + 8, true);
  assert.ok(n <= v.getUint32(REGION_TABLE + 12, true));
  return Array.from({ length: n }, (_, k) => {
    const e = at + k * REGION_ENTRY_BYTES;
    return {
      start: v.getUint32(e, true),
      end: v.getUint32(e + 4, true),
      stride: v.getUint32(e + 8, true),
      elemSize: v.getUint32(e + 12, true),
      flags: v.getUint32(e + 16, true),
    };
  });
}
const expected = (rs: readonly Region[]) =>
  rs.map((r) => ({
    start: r.start,
    end: r.end,
    stride: r.stride ?? 0,
    elemSize: r.elemSize ?? r.size,
    flags: (r.writable ? REGION_WRITABLE : 0) | (REGION_KIND[r.kind] << 8),
  }));

test('no access with a 16-bit offset from a region end reaches the next region', () => {
  const s = new AddressSpace();
  const a = s.allocate('a', 100, { kind: 'mem' });
  const b = s.allocate('b', 100, { kind: 'mem' });
  assert.ok(b.start - a.end >= GUARD_GAP);
  for (const off of [0, 1, 100, 32767 - 8]) assert.equal(s.find(a.end + off, 8), undefined);
  for (const off of [1, 8, 32768]) assert.equal(s.find(b.start - off, 1), undefined);
});

test('a reservation is not accessible; its windows are, and move and unmap', () => {
  const s = new AddressSpace();
  const frame = s.reserve('frame', 4096, { kind: 'packet' });
  assert.equal(s.find(frame.start, 1), undefined);
  const w = s.mapWindow(frame, 'packet', frame.start + 256, 60);
  assert.equal(s.find(w.start, 60), w);
  assert.equal(s.find(w.start - 1, 1), undefined, 'before the window');
  assert.equal(s.find(w.end, 1), undefined, 'at the window end');
  assert.equal(s.find(w.end + 100, 1), undefined, 'inside the frame past the window');
  s.check(w.start, 8, 'read');
  assert.equal(s.hitStart, w.start);
  s.moveWindow(w, frame.start + 240, 80);
  assert.equal(s.hitEnd, 0, 'a move drops the hit cache');
  assert.equal(w.start, frame.start + 240);
  assert.equal(s.find(frame.start + 240, 80), w);
  assert.equal(s.find(frame.start + 320, 1), undefined);
  assert.throws(() => s.moveWindow(w, frame.start + 4090, 10), RangeError, 'outside the reservation');
  assert.throws(() => s.mapWindow(frame, 'x', frame.end - 4, 8), RangeError);
  s.release(w);
  assert.throws(() => s.readU8(frame.start + 250), MemoryFault);
  assert.equal(s.reservations.length, 1, 'the reservation stays');
  const w2 = s.mapWindow(frame, 'again', frame.start, 8);
  s.release(frame);
  assert.equal(s.regions.length, 0);
  assert.equal(s.reservations.length, 0);
  assert.throws(() => s.release(w2), RangeError);
});

test('a strided region bounds each element and the hit cache holds one element', () => {
  const s = new AddressSpace();
  const r = s.allocateStrided('values', 4, 12, { kind: 'map' });
  const stride = r.stride!;
  assert.equal(stride, elementStride(4, 12));
  assert.ok(stride - 12 >= GUARD_GAP, 'small arrays get full guard gaps');
  for (let k = 0; k < 4; k++) {
    const e = r.start + k * stride;
    assert.ok(s.find(e, 12) === r);
    assert.equal(s.hitStart, e);
    assert.equal(s.hitEnd, e + 12);
    assert.equal(s.find(e + 8, 8), undefined, 'straddles the element end');
    assert.equal(s.find(e + 12, 1), undefined, 'padding after the value');
  }
  s.check(r.start, 4, 'write');
  assert.throws(() => s.check(r.start + 12, 4, 'read'), MemoryFault);
  assert.throws(
    () => s.check(r.start + stride + 12, 1, 'read'),
    (e: unknown) => e instanceof MemoryFault && /element 1 of 4/.test(e.message),
  );
  assert.equal(r.end, r.start + 3 * stride + 12);
  // A large array gets smaller gaps, never below MIN_ELEM_GAP.
  const big = elementStride(1 << 20, 8);
  assert.ok(big >= 8 + 64 && big < 8 + GUARD_GAP);
});

test("setElements exposes a strided window's first elements only (live stack frames)", () => {
  const s = new AddressSpace();
  const res = s.reserve('stack', 3 * 1000, { kind: 'stack' });
  const f = s.mapWindow(res, 'frames', res.start, 3 * 1000 - 488, { stride: 1000, elemSize: 512 });
  s.setElements(f, 1);
  assert.equal(s.find(res.start + 1000, 8), undefined, 'frame 1 is not live');
  s.setElements(f, 2);
  assert.equal(s.find(res.start + 1000, 8), f);
  s.setElements(f, 1);
  assert.equal(s.hitEnd, 0, 'dropping a frame drops a hit cache inside it');
  assert.equal(s.find(res.start + 1000, 8), undefined);
  assert.deepEqual(table(s), expected(s.regions));
});

test('the region table in linear memory follows allocate, move and release', () => {
  const s = new AddressSpace();
  assert.deepEqual(table(s), []);
  const a = s.allocate('a', 16, { kind: 'ctx', writable: false });
  const frame = s.reserve('frame', 4096, { kind: 'packet' });
  const w = s.mapWindow(frame, 'packet', frame.start + 256, 64);
  const v = s.allocateStrided('v', 8, 20, { kind: 'map' });
  assert.deepEqual(table(s), expected(s.regions));
  s.moveWindow(w, frame.start + 128, 200);
  assert.deepEqual(table(s), expected(s.regions));
  s.release(a);
  assert.deepEqual(table(s), expected(s.regions));
  const b = s.allocate('b', 8, { kind: 'mem' }); // reuses a's hole, first in the table
  assert.equal(s.regions[0], b);
  assert.deepEqual(table(s), expected(s.regions));
  s.release(frame);
  s.release(v);
  assert.deepEqual(table(s), expected(s.regions));
  // Thousands of regions move the table out of the null page; it stays exact.
  const many = Array.from({ length: 2100 }, (_, k) => s.allocate(`m${k}`, 8, { kind: 'mem' }));
  assert.notEqual(s.view.getUint32(REGION_TABLE + 8, true), 0x200);
  assert.deepEqual(table(s), expected(s.regions));
  for (const r of many.slice(0, 1000)) s.release(r);
  assert.deepEqual(table(s), expected(s.regions));
});

test('hide and show: a parked region faults, keeps its space, and comes back where it was', () => {
  const s = new AddressSpace();
  const ctx = s.allocate('ctx', 24, { kind: 'ctx' });
  const frame = s.reserve('frame', 4096, { kind: 'packet' });
  const w = s.mapWindow(frame, 'packet', frame.start + 256, 64);
  const after = s.allocate('after', 8, { kind: 'mem' });
  assert.ok(s.find(w.start, 8));
  s.hide(w);
  s.hide(ctx);
  assert.deepEqual(table(s), expected(s.regions));
  assert.deepEqual(s.regions, [after]);
  assert.throws(() => s.check(ctx.start, 4, 'read'), MemoryFault);
  assert.throws(() => s.check(w.start, 1, 'read'), MemoryFault);
  // Their space stays taken: a new region goes elsewhere.
  const other = s.allocate('other', 24, { kind: 'mem' });
  assert.ok(other.start > after.end, "not in the hidden ctx region's place");
  s.moveWindow(w, frame.start + 200, 100); // moved while hidden: shown at the new place
  s.show(ctx);
  s.show(w);
  assert.deepEqual(table(s), expected(s.regions));
  assert.equal(s.find(ctx.start, 24), ctx);
  assert.equal(s.find(frame.start + 200, 100), w);
  // The one-entry move keeps the table exact; so does a move past another region of the frame.
  const w2 = s.mapWindow(frame, 'second', frame.start + 1000, 8);
  s.moveWindow(w, frame.start + 300, 10);
  assert.deepEqual(table(s), expected(s.regions));
  s.moveWindow(w, frame.start + 2000, 10);
  assert.deepEqual(table(s), expected(s.regions));
  assert.equal(s.regions.indexOf(w), s.regions.indexOf(w2) + 1);
  // Releasing a hidden region, or a reservation with a hidden window, frees them.
  s.hide(w2);
  s.release(frame);
  s.hide(ctx);
  s.release(ctx);
  assert.deepEqual(table(s), expected(s.regions));
  assert.deepEqual(
    s.reservations.map((r) => r.name),
    ['after', 'other'],
  );
});

test('released memory is zeroed when handed out again; fresh memory is not touched', () => {
  const s = new AddressSpace();
  const a = s.allocate('a', 64, { kind: 'mem' });
  s.u8.fill(7, a.start, a.end);
  s.release(a);
  const b = s.allocate('b', 64, { kind: 'mem' });
  assert.equal(b.start, a.start);
  assert.ok(s.u8.subarray(b.start, b.end).every((x) => x === 0));
});
