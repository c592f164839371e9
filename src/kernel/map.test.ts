// Kernel map tests: create, lookup/update/delete/next-key, the errno cases, per-CPU value
// buffers, and argument checks. Skips with the reason where bpf() is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BpfError, ClosedError, TsbpfError } from '../errors.js';
import { BPF_EXIST, BPF_NOEXIST, Errno } from '../uapi/index.js';
import { bpfAvailability } from './available.js';
import { createMap, possibleCpuCount } from './map.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const errno = (n: number) => (e: unknown) => e instanceof BpfError && e.errno === n;

test('hash map CRUD', { skip }, () => {
  using m = createMap({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 2, name: 'crud' });
  assert.equal(m.lookup(u32(1)), undefined);
  assert.equal(m.nextKey(), undefined);
  m.update(u32(1), u64(10n));
  m.update(u32(2), u64(20n), BPF_NOEXIST);
  assert.deepEqual(m.lookup(u32(2)), u64(20n));
  m.update(u32(2), u64(21n), BPF_EXIST);
  assert.deepEqual(m.lookup(u32(2)), u64(21n));
  const keys = [...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort();
  assert.deepEqual(keys, [1, 2]);
  m.delete(u32(1));
  assert.equal(m.lookup(u32(1)), undefined);
});

test('map errno cases: EEXIST, ENOENT, E2BIG, EINVAL', { skip }, () => {
  using m = createMap({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 1 });
  m.update(u32(1), u64(1n));
  assert.throws(() => m.update(u32(1), u64(2n), BPF_NOEXIST), errno(Errno.EEXIST));
  assert.throws(() => m.update(u32(9), u64(2n), BPF_EXIST), errno(Errno.ENOENT));
  assert.throws(() => m.update(u32(2), u64(2n)), errno(Errno.E2BIG));
  assert.throws(() => m.delete(u32(7)), errno(Errno.ENOENT));
  using a = createMap({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 4 });
  assert.throws(() => a.delete(u32(0)), errno(Errno.EINVAL));
  assert.throws(() => a.update(u32(4), u32(1)), errno(Errno.E2BIG));
  assert.throws(
    () => createMap({ type: 'ARRAY', keySize: 8, valueSize: 4, maxEntries: 1 }),
    errno(Errno.EINVAL),
  );
  assert.throws(
    () => createMap({ type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 0 }),
    (e: unknown) => e instanceof BpfError && /BPF_MAP_CREATE failed: EINVAL/.test(e.message),
  );
});

test('array map: every key exists from the start, values start zeroed', { skip }, () => {
  using a = createMap({ type: 'ARRAY', keySize: 4, valueSize: 12, maxEntries: 3 });
  assert.deepEqual(a.lookup(u32(2)), new Uint8Array(12));
  assert.equal(a.lookup(u32(3)), undefined);
  assert.deepEqual(
    [...a.keys()].map((k) => k[0]),
    [0, 1, 2],
  );
});

test('per-CPU array values are 8-byte aligned slots, one per possible CPU', { skip }, () => {
  const cpus = possibleCpuCount();
  using p = createMap({ type: 'PERCPU_ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.equal(p.valueBufferSize, 8 * cpus);
  const v = new Uint8Array(8 * cpus).map((_, k) => k);
  p.update(u32(0), v);
  const got = p.lookup(u32(0))!;
  for (let c = 0; c < cpus; c++)
    assert.deepEqual(got.subarray(8 * c, 8 * c + 4), v.subarray(8 * c, 8 * c + 4));
});

test('closed maps throw ClosedError; sizes are checked before the syscall', { skip }, () => {
  const m = createMap({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 1, name: 'gone' });
  const isArg = (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => m.lookup(new Uint8Array(3)), isArg);
  assert.throws(() => m.update(u32(1), new Uint8Array(4)), isArg);
  m[Symbol.dispose]();
  assert.throws(() => m.lookup(u32(1)), ClosedError);
  assert.throws(() => m.update(u32(1), u64(1n)), /map 'gone' is closed/);
  assert.throws(() => createMap({ type: 'HASH', keySize: -1, valueSize: 8, maxEntries: 1 }), isArg);
  assert.throws(
    () => createMap({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 1, name: 'a b' }),
    isArg,
  );
});
