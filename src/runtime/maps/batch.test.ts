// Batch operations against the kernel's BPF_MAP_*_BATCH: the same rounds, cursors, ENOENT at the
// end, partial counts on failure, and whole-map dumps, on arrays, per-CPU arrays and hashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, hex, pair, u32, u64 } from '../../../test/gen/map-oracle.js';
import { BpfError } from '../../errors.js';
import { dumpMap } from './dump.js';
import type { MapBatch } from './types.js';

/** The batch commands both kinds of map have. */
interface BatchMap {
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags?: number): number;
  deleteBatch(keys: readonly Uint8Array[]): number;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  lookup(key: Uint8Array): Uint8Array | undefined;
}
const b = (m: unknown): BatchMap => m as BatchMap;
const show = (r: MapBatch): string =>
  `${r.keys.map(hex).join(',')}=${r.values.map(hex).join(',')}${r.cursor === undefined ? ' end' : ` next ${hex(r.cursor)}`}`;
/** A write batch's count, or its errno and partial count. */
function counted(f: () => number): string {
  try {
    return `ok ${f()}`;
  } catch (e) {
    if (e instanceof BpfError) return `E${e.errno} count ${e.count}`;
    throw e;
  }
}
/** Sorted `key=value` lines of a dump (hash order differs between implementations). */
const lines = (d: MapBatch): string[] => d.keys.map((k, i) => `${hex(k)}=${hex(d.values[i]!)}`).sort();

test('array: batch rounds, cursors and the end as BPF_MAP_LOOKUP_BATCH gives them', () => {
  using p = pair({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 10 });
  const keys = [...Array(10).keys()].map(u32);
  p.same('update batch', (m) =>
    counted(() =>
      b(m).updateBatch(
        keys,
        keys.map((_, i) => u32(i * 11)),
      ),
    ),
  );
  p.same('update batch past the end: E2BIG after 2', (m) =>
    counted(() => b(m).updateBatch([u32(1), u32(2), u32(10), u32(3)], [u32(5), u32(6), u32(7), u32(8)])),
  );
  for (const count of [1, 3, 5, 10, 11]) {
    p.same(`walk in rounds of ${count}`, (m) => {
      const out: string[] = [];
      let cursor: Uint8Array | undefined;
      for (let k = 0; k < 20; k++) {
        const r = b(m).lookupBatch(cursor, count);
        out.push(show(r));
        if (r.cursor === undefined) break;
        cursor = r.cursor;
      }
      return out.join(' | ');
    });
  }
  p.same('cursor at the last key', (m) => show(b(m).lookupBatch(u32(9), 4)));
  p.same('cursor out of range restarts', (m) => show(b(m).lookupBatch(u32(77), 2)));
  p.same('count 0', (m) => show(b(m).lookupBatch(undefined, 0)));
  p.same('delete batch on an array', (m) => counted(() => b(m).deleteBatch([u32(1)])));
  p.same('lookup and delete batch on an array', (m) => show(b(m).lookupAndDeleteBatch(undefined, 2)));
});

test('per-CPU array of 65,536 entries: the dump is the kernel one', () => {
  using p = pair({ type: 'PERCPU_ARRAY', keySize: 4, valueSize: 8, maxEntries: 65_536 });
  const v = (i: number) => {
    const out = new Uint8Array(8 * cpus);
    for (let c = 0; c < cpus; c++) out.set(u64(BigInt(i * 1000 + c)), 8 * c);
    return out;
  };
  const keys = [0, 1, 4095, 4096, 30_000, 65_535].map(u32);
  p.same('update batch', (m) =>
    counted(() =>
      b(m).updateBatch(
        keys,
        keys.map((_, i) => v(i + 1)),
      ),
    ),
  );
  const ours = dumpMap(b(p.ours), 4, p.ours.valueBufferSize);
  assert.equal(ours.keys.length, 65_536);
  if (p.kern !== undefined)
    assert.deepEqual(lines(ours), lines(dumpMap(b(p.kern), 4, p.kern.valueBufferSize)));
});

test('hash: batch update, dump, partial delete, lookup-and-delete drains as the kernel', () => {
  using p = pair({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 64 });
  const keys = [...Array(40).keys()].map((i) => u32(i * 7 + 1));
  p.same('update batch', (m) =>
    counted(() =>
      b(m).updateBatch(
        keys,
        keys.map((_, i) => u64(BigInt(i))),
      ),
    ),
  );
  p.same('update batch NOEXIST: EEXIST at the first', (m) =>
    counted(() => b(m).updateBatch([u32(1000), u32(1)], [u64(1n), u64(2n)], 1)),
  );
  p.same('dump', (m) => lines(dumpMap(b(m), 4, 8)).join(' '));
  p.same('delete batch with a missing key: ENOENT after 2', (m) =>
    counted(() => b(m).deleteBatch([u32(1), u32(8), u32(99999), u32(15)])),
  );
  p.same('dump after', (m) => lines(dumpMap(b(m), 4, 8)).join(' '));
  // Lookup-and-delete in rounds: round sizes differ (the kernel's rounds are whole buckets), the union does not.
  p.same('drain', (m) => {
    const seen: string[] = [];
    let cursor: Uint8Array | undefined;
    for (let k = 0; k < 200; k++) {
      const r = b(m).lookupAndDeleteBatch(cursor, 8);
      for (let i = 0; i < r.keys.length; i++) seen.push(`${hex(r.keys[i]!)}=${hex(r.values[i]!)}`);
      if (r.cursor === undefined) break;
      cursor = r.cursor;
    }
    return `${seen.sort().join(' ')} left ${b(m).nextKey() === undefined ? 0 : 'some'}`;
  });
});

test('dump: map types without batch lookup are walked', () => {
  using p = pair({ type: 'LPM_TRIE', keySize: 8, valueSize: 4, maxEntries: 8, flags: 1 });
  p.same('insert', (m) => m.update(new Uint8Array([24, 0, 0, 0, 10, 1, 2, 0]), u32(7)));
  p.same('dump', (m) => lines(dumpMap(b(m), 8, 4)).join(' '));
});
