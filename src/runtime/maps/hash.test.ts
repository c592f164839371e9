// Hash and per-CPU hash maps: the user-side API against the kernel's map of the same spec
// (flags, full map, deletes, get_next_key walks compared as sets), the program side, batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, hex, keySet, pair, u32, u64 } from '../../../test/gen/map-oracle.js';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';

test('hash: same results and errnos as the kernel, through a full map', () => {
  using p = pair({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 4 });
  p.same('empty next', (m) => m.nextKey());
  p.same('missing', (m) => m.lookup(u32(1)));
  const steps: [number, number][] = [
    [1, BPF_ANY],
    [1, BPF_NOEXIST],
    [2, BPF_EXIST],
    [2, BPF_NOEXIST],
    [1, BPF_EXIST],
    [3, BPF_ANY],
    [4, BPF_ANY],
    [5, BPF_ANY],
    [5, BPF_EXIST],
    [4, BPF_ANY],
    [4, 3],
    [4, BPF_F_LOCK],
  ];
  for (const [k, f] of steps)
    p.same(`update ${k} flags ${f}`, (m) => m.update(u32(k), u64(BigInt(k * 100 + f)), f));
  for (const k of [1, 2, 3, 4, 5]) p.same(`lookup ${k}`, (m) => m.lookup(u32(k)));
  p.same('delete missing', (m) => m.delete(u32(9)));
  p.same('delete 3', (m) => m.delete(u32(3)));
  p.same('insert after delete', (m) => m.update(u32(6), u64(6n), BPF_NOEXIST));
  p.same('full again', (m) => m.update(u32(7), u64(7n)));
  if (p.kern) assert.deepEqual(keySet(p.ours), keySet(p.kern));
  p.same('next of missing is the first key', (m) => (m.nextKey(u32(99)) === undefined ? 'end' : 'some'));
});

test('hash: random operations agree with the kernel', () => {
  using p = pair({ type: 'HASH', keySize: 8, valueSize: 4, maxEntries: 32 });
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 600; i++) {
    const k = u64(BigInt(rnd(48)));
    const op = rnd(4);
    if (op === 0) p.same(`#${i} lookup`, (m) => m.lookup(k));
    else if (op === 1) p.same(`#${i} delete`, (m) => m.delete(k));
    else {
      const f = rnd(3);
      p.same(`#${i} update ${f}`, (m) => m.update(k, u32(i), f));
    }
  }
  if (p.kern) assert.deepEqual(keySet(p.ours), keySet(p.kern));
});

test('per-CPU hash: user side matches the kernel; a program update touches one CPU', () => {
  using p = pair({ type: 'PERCPU_HASH', keySize: 4, valueSize: 4, maxEntries: 2 });
  const all = new Uint8Array(8 * cpus).map((_, i) => i + 1);
  p.same('update', (m) => m.update(u32(1), all));
  p.same('lookup', (m) => m.lookup(u32(1)));
  p.same('NOEXIST', (m) => m.update(u32(1), all, BPF_NOEXIST));
  const ours = p.ours;
  // A new element from a program: its CPU's value, zero on the others (pcpu_init_value).
  assert.equal(ours.updateElem(u32(2), u32(0xaa), BPF_ANY, 1), 0);
  const v = ours.lookup(u32(2))!;
  assert.equal(hex(v.subarray(0, 8)), '0000000000000000');
  assert.equal(hex(v.subarray(8, 12)), 'aa000000');
  // An existing element: only that CPU changes.
  assert.equal(ours.updateElem(u32(1), u32(0xbb), BPF_ANY, 0), 0);
  assert.equal(hex(ours.lookup(u32(1))!.subarray(8, 12)), hex(all.subarray(8, 12)));
  assert.equal(p.space.readU32(ours.lookupAddress(u32(1), 0)), 0xbb);
  assert.equal(ours.lookupAddress(u32(1), cpus), 0);
});

test('hash program side: addresses stay put across updates, slots are reused after delete', () => {
  const space = new AddressSpace();
  using m = createMap(space, { type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 100000, flags: 1 });
  assert.equal(m.regions.length, 0, 'nothing mapped before the first element');
  assert.equal(m.updateElem(u32(1), u64(1n), BPF_ANY), 0);
  const a = m.lookupAddress(u32(1));
  space.writeU64(a, 41n);
  m.update(u32(1), u64(42n));
  assert.equal(m.lookupAddress(u32(1)), a);
  assert.equal(space.readU64(a), 42n);
  assert.equal(m.deleteElem(u32(1)), 0);
  assert.equal(m.lookupAddress(u32(1)), 0);
  assert.equal(m.deleteElem(u32(1)), -2);
  assert.equal(m.updateElem(u32(2), u64(2n), BPF_NOEXIST), 0);
  assert.equal(m.lookupAddress(u32(2)), a, 'freed slot reused');
  assert.equal(space.readU64(a), 2n);
  for (let i = 10; i < 5000; i++) assert.equal(m.updateElem(u32(i), u64(BigInt(i)), BPF_ANY), 0);
  assert.equal(space.readU64(m.lookupAddress(u32(4321))), 4321n);
  assert.ok(m.regions.length >= 1);
});

test('hash batches: lookup, lookup-and-delete, update, delete', () => {
  const space = new AddressSpace();
  using m = createMap(space, { type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 8 });
  const keys = [1, 2, 3, 4, 5].map(u32);
  assert.equal(m.updateBatch(keys, keys), 5);
  const seen: string[] = [];
  let cursor: Uint8Array | undefined;
  do {
    const b = m.lookupBatch(cursor, 2);
    seen.push(...b.keys.map(hex));
    cursor = b.cursor;
  } while (cursor !== undefined);
  assert.deepEqual(seen.sort(), keys.map(hex).sort());
  const d = m.lookupAndDeleteBatch(undefined, 3);
  assert.equal(d.keys.length, 3);
  assert.deepEqual(d.values, d.keys);
  assert.equal(keySet(m).length, 2);
  assert.throws(
    () => m.deleteBatch([...keySet(m).map((h) => Uint8Array.from(Buffer.from(h, 'hex'))), u32(99)]),
    (e: unknown) => e instanceof Error && 'count' in e && e.count === 2,
  );
  assert.deepEqual(m.lookupAndDelete(u32(1)), undefined);
  m.update(u32(7), u32(7));
  assert.deepEqual(m.lookupAndDelete(u32(7)), u32(7));
  assert.equal(m.lookup(u32(7)), undefined);
});
