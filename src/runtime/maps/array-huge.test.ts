// Arrays larger than one chunk: committed lazily (a chunk is mapped on first program lookup or
// update), zeros until then, and the same values as the kernel's array of the same size at far
// indexes — including one past 256 MiB, tsbpf's former cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pair, u32, u64 } from '../../../test/gen/map-oracle.js';
import { BpfError, MemoryFault } from '../../errors.js';
import { AddressSpace } from '../memory.js';
import { ArrayMap } from './array.js';
import { MemoryBudget } from './budget.js';
import { createMap } from './create.js';

const ENTRIES = 33_000_000;

test('a 33-million-entry array maps nothing until touched; untouched entries read zero', () => {
  const space = new AddressSpace();
  const before = space.memory.buffer.byteLength;
  const m = createMap(space, { type: 'ARRAY', name: 'big', keySize: 4, valueSize: 8, maxEntries: ENTRIES });
  assert.ok(m instanceof ArrayMap);
  assert.equal(m.mappedChunks, 0);
  assert.ok(m.chunkCount > 100);
  assert.equal(space.memory.buffer.byteLength, before, 'creation grows nothing');
  // User-side reads of untouched entries: zeros, nothing mapped.
  assert.deepEqual(m.lookup(u32(ENTRIES - 1)), new Uint8Array(8));
  assert.equal(m.lookupBatch(undefined, 1000).values.length, 1000);
  assert.equal(m.mappedChunks, 0);
  // A program's lookup maps the entry's chunk only; what it writes is what user space reads.
  const addr = m.lookupAddress(u32(ENTRIES - 1));
  assert.ok(addr > 0);
  assert.equal(m.mappedChunks, 1);
  space.writeU64(addr, 0x1122334455667788n);
  assert.deepEqual(m.lookup(u32(ENTRIES - 1)), u64(0x1122334455667788n));
  // The neighbour in the same chunk is zero; the access must stay inside one value.
  assert.equal(space.readU64(m.lookupAddress(u32(ENTRIES - 2))), 0n);
  assert.throws(() => space.readU64(addr + 8), MemoryFault);
  assert.throws(() => space.readU64(addr - 8), MemoryFault);
  // A user-side update maps its chunk too; out of range stays E2BIG / NULL.
  m.update(u32(12_345_678), u64(7n));
  assert.equal(m.mappedChunks, 2);
  assert.deepEqual(m.lookup(u32(12_345_678)), u64(7n));
  assert.equal(m.lookupAddress(u32(ENTRIES)), 0);
  assert.throws(
    () => m.update(u32(ENTRIES), u64(1n)),
    (e: unknown) => e instanceof BpfError && e.errno === 7,
  );
  m.close();
  assert.equal(space.regions.length, 0, 'close releases every mapped chunk');
});

test('per-CPU: a huge per-CPU array keeps each CPU value apart and lazily mapped', () => {
  const space = new AddressSpace();
  const m = createMap(
    space,
    { type: 'PERCPU_ARRAY', keySize: 4, valueSize: 4, maxEntries: 4_000_000 },
    { cpus: 2 },
  );
  assert.ok(m instanceof ArrayMap);
  assert.equal(m.mappedChunks, 0);
  space.writeU32(m.lookupAddress(u32(3_999_999), 1), 9);
  const v = m.lookup(u32(3_999_999))!;
  assert.deepEqual([...v], [0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(m.lookup(u32(0)), new Uint8Array(16));
  assert.equal(m.mappedChunks, 1);
});

test('memoryLimit: a map past the limit is ENOMEM, closing a map gives its bytes back', () => {
  const space = new AddressSpace();
  const budget = new MemoryBudget(300 << 20);
  const spec = { type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: ENTRIES } as const;
  const a = createMap(space, spec, { budget });
  assert.equal(budget.used, ENTRIES * 8);
  assert.throws(
    () => createMap(space, spec, { budget }),
    (e: unknown) =>
      e instanceof BpfError && e.errno === 12 && e.op === 'BPF_MAP_CREATE' && /memory limit/.test(e.message),
  );
  a.close();
  assert.equal(budget.used, 0);
  createMap(space, spec, { budget }).close();
});

test('parity: a 320 MiB array (past the former 256 MiB cap) holds the kernel values at far indexes', () => {
  const n = 40_000_000;
  using p = pair({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: n });
  for (const k of [0, 1, 20_000_000, n - 2, n - 1])
    p.same(`update ${k}`, (m) => m.update(u32(k), u64(BigInt(k) * 3n + 1n)));
  for (const k of [0, 1, 2, 19_999_999, 20_000_000, 30_000_000, n - 2, n - 1, n])
    p.same(`lookup ${k}`, (m) => m.lookup(u32(k)));
  p.same('next of the last', (m) => m.nextKey(u32(n - 1)));
  p.same('next of the one before', (m) => m.nextKey(u32(n - 2)));
  p.same('update past the end', (m) => m.update(u32(n), u64(1n)));
});
