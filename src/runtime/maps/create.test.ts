// Creation checks against the kernel: the same spec must be accepted or refused with the same
// errno by checkMapSpec() and BPF_MAP_CREATE. Unimplemented types must be NotSupportedError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, skip } from '../../../test/gen/map-oracle.js';
import { BpfError, NotSupportedError, TsbpfError } from '../../errors.js';
import { createMap as createKernelMap } from '../../kernel/map.js';
import { BPF_F_MMAPABLE } from '../../uapi/map-flags.js';
import type { MapTypeName } from '../../uapi/map-types.js';
import { AddressSpace } from '../memory.js';
import { MemoryBudget } from './budget.js';
import { checkMapSpec, createMap } from './create.js';

type Row = [MapTypeName, number, number, number, number];
const ROWS: Row[] = [
  ['ARRAY', 4, 0, 1, 0],
  ['ARRAY', 4, 4, 0, 0],
  ['ARRAY', 8, 4, 1, 0],
  ['ARRAY', 4, 4, 1, 1],
  ['ARRAY', 4, 4, 1, 0x400],
  ['ARRAY', 4, 4, 1, 0x1000],
  ['ARRAY', 4, 4, 1, 0x800],
  ['ARRAY', 4, 4, 1, 0x180],
  ['ARRAY', 4, 4, 1, 0x18],
  ['ARRAY', 4, 4, 1, 0x80],
  ['ARRAY', 4, 0x80000000, 1, 0],
  ['PERCPU_ARRAY', 4, 4, 1, 0x400],
  ['PERCPU_ARRAY', 4, 4, 1, 0x4],
  ['PERCPU_ARRAY', 4, 32769, 1, 0],
  ['PERCPU_ARRAY', 4, 32768, 1, 0],
  ['HASH', 0, 4, 1, 0],
  ['HASH', 4, 0, 1, 0],
  ['HASH', 4, 4, 0, 0],
  ['HASH', 513, 4, 1, 0],
  ['HASH', 4, 4, 1, 2],
  ['HASH', 4, 4, 1, 0x400],
  ['HASH', 4, 4, 1, 0x40],
  ['HASH', 4, 4, 1, 4],
  ['HASH', 4, 1 << 26, 1, 0],
  ['HASH', 4, 4 * 2 ** 20 - 4 - 48, 1, 1],
  ['HASH', 4, 4 * 2 ** 20 - 4 - 49, 1, 1],
  ['HASH', 4, 4, 2 ** 27 + 1, 1],
  ['HASH', 4, 4, 2 ** 31 + 1, 0],
  ['PERCPU_HASH', 4, 32769, 1, 0],
  ['PERCPU_HASH', 4, 4, 1, 4],
  ['PERCPU_HASH', 4, 4, 1, 2],
  ['LRU_HASH', 4, 4, 1, 1],
  ['LRU_HASH', 4, 4, 1, 2],
  ['LRU_HASH', 4, 4, 1, 6],
  ['LRU_PERCPU_HASH', 4, 4, 1, 4],
  ['LPM_TRIE', 8, 4, 1, 0],
  ['LPM_TRIE', 4, 4, 1, 1],
  ['LPM_TRIE', 5, 4, 1, 1],
  ['LPM_TRIE', 260, 4, 1, 1],
  ['LPM_TRIE', 261, 4, 1, 1],
  ['LPM_TRIE', 8, 0, 1, 1],
  ['LPM_TRIE', 8, 4, 0, 1],
  ['LPM_TRIE', 8, 4 * 2 ** 20, 1, 1],
  ['RINGBUF', 0, 0, 4096, 0],
  ['RINGBUF', 0, 0, 4095, 0],
  ['RINGBUF', 0, 0, 2048, 0],
  ['RINGBUF', 4, 0, 4096, 0],
  ['RINGBUF', 0, 0, 8192, 1],
  ['RINGBUF', 0, 0, 0, 0],
  ['PROG_ARRAY', 4, 8, 1, 0],
  ['PROG_ARRAY', 4, 4, 1, 0x80],
  ['PROG_ARRAY', 4, 4, 1, 0],
  ['DEVMAP', 4, 4, 1, 0],
  ['DEVMAP', 4, 8, 1, 0],
  ['DEVMAP', 4, 6, 1, 0],
  ['DEVMAP', 4, 4, 1, 8],
  ['DEVMAP', 4, 4, 1, 0x80],
  ['DEVMAP_HASH', 4, 4, 1, 0],
  ['DEVMAP_HASH', 8, 4, 1, 0],
  ['CPUMAP', 4, 4, 1, 0],
  ['CPUMAP', 4, 8, 1, 0],
  ['CPUMAP', 4, 4, 256, 0],
  ['CPUMAP', 4, 4, 257, 0],
  ['CPUMAP', 4, 4, 1, 8],
  ['XSKMAP', 4, 4, 1, 0],
  ['XSKMAP', 4, 8, 1, 0],
  ['QUEUE', 0, 4, 1, 0],
  ['QUEUE', 4, 4, 1, 0],
  ['STACK', 0, 0, 1, 0],
  ['QUEUE', 0, 4, 0, 0],
  ['QUEUE', 0, 4, 1, 1],
  ['QUEUE', 0, 4 * 2 ** 20 + 1, 1, 0],
  ['STACK', 0, 4, 1, 0x80],
  ['BLOOM_FILTER', 0, 4, 1, 0],
  ['BLOOM_FILTER', 4, 4, 1, 0],
  ['BLOOM_FILTER', 0, 4, 1, 0x40],
  ['BLOOM_FILTER', 0, 4, 0, 0],
  ['BLOOM_FILTER', 0, 0, 1, 0],
];

test('creation errnos match BPF_MAP_CREATE', { skip }, () => {
  const diffs: string[] = [];
  for (const [type, keySize, valueSize, maxEntries, flags] of ROWS) {
    const ours = checkMapSpec({ type, keySize, valueSize, maxEntries, flags }, { cpus });
    let theirs = 0;
    try {
      createKernelMap({ type, keySize, valueSize, maxEntries, flags }).close();
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      theirs = e.errno;
    }
    if (ours !== theirs)
      diffs.push(
        `${type} k${keySize} v${valueSize} n${maxEntries} f${flags}: ours ${ours}, kernel ${theirs}`,
      );
  }
  assert.deepEqual(diffs, []);
});

test('createMap throws BpfError with the errno; bad input and unknown types are clear errors', () => {
  const space = new AddressSpace();
  assert.throws(
    () => createMap(space, { type: 'ARRAY', keySize: 8, valueSize: 4, maxEntries: 1 }),
    (e: unknown) => e instanceof BpfError && e.errno === 22 && /ARRAY.*EINVAL/.test(e.message),
  );
  assert.throws(
    () => createMap(space, { type: 'STACK_TRACE', keySize: 4, valueSize: 8, maxEntries: 1 }),
    NotSupportedError,
  );
  assert.throws(
    () => createMap(space, { type: 'NOPE' as MapTypeName, keySize: 4, valueSize: 4, maxEntries: 1 }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => createMap(space, { type: 'HASH', keySize: -1, valueSize: 4, maxEntries: 1 }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => createMap(space, { type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 1, mapExtra: 3n }),
    (e: unknown) => e instanceof BpfError && e.errno === 22,
  );
  // 4 GiB of values: past a memory limit (or, mmapable, past one region's bound) it is ENOMEM.
  const huge = { type: 'ARRAY', keySize: 4, valueSize: 1 << 20, maxEntries: 1 << 12 } as const;
  assert.throws(
    () => createMap(space, huge, { budget: new MemoryBudget(1 << 30) }),
    (e: unknown) => e instanceof BpfError && e.errno === 12 && /memory limit 1073741824/.test(e.message),
  );
  assert.throws(
    () => createMap(space, { ...huge, flags: BPF_F_MMAPABLE }),
    (e: unknown) => e instanceof BpfError && e.errno === 12,
  );
  assert.equal(space.regions.length, 0, 'a refused map leaves no region behind');
});
