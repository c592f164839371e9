// Ring buffer: reserve/submit/discard/output and the consumer, record headers in the address
// space, wrap-around, a busy record holding back the consumer, full-buffer refusals; and the
// kernel's answers to element commands (ENOTSUPP).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pair, u32 } from '../../../test/gen/map-oracle.js';
import { MemoryFault } from '../../errors.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';
import {
  BPF_RB_AVAIL_DATA,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT,
  RingBufMap,
} from './ringbuf.js';

function ring(size = 4096): { rb: RingBufMap; space: AddressSpace } {
  const space = new AddressSpace();
  const rb = createMap(space, { type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: size });
  assert.ok(rb instanceof RingBufMap);
  return { rb, space };
}

test('ring buffer: element commands are ENOTSUPP, as in the kernel', () => {
  using p = pair({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 });
  const none = new Uint8Array(0);
  p.same('lookup', (m) => m.lookup(none));
  p.same('delete', (m) => m.delete(none));
  p.same('next', (m) => m.nextKey());
});

test('ring buffer: reserve, write, submit, consume; discard is skipped', () => {
  const { rb, space } = ring();
  const a = rb.reserve(5);
  assert.notEqual(a, 0);
  // The header is the map's, not the program's: read it raw.
  assert.equal(
    space.view.getUint32(a - 8, true),
    (5 | BPF_RINGBUF_BUSY_BIT) >>> 0,
    'header: length with the busy bit',
  );
  assert.throws(() => space.readU32(a - 8), MemoryFault, 'a program cannot touch the header');
  space.writeBytes(a, new Uint8Array([1, 2, 3, 4, 5]));
  const b = rb.reserve(4);
  assert.equal(b, a + 16, 'records are 8-aligned: 8 header + 5 data -> 16');
  space.writeU32(b, 0xdead);
  assert.deepEqual(rb.consume(), [], 'nothing committed yet');
  assert.equal(rb.discard(b), 0);
  assert.deepEqual(rb.consume(), [], 'a busy first record holds back the consumer');
  assert.equal(rb.submit(a), 0);
  assert.equal(rb.submit(a), -22, 'submitting twice is refused');
  assert.equal(rb.output(u32(7)), 0);
  assert.equal(rb.query(BPF_RB_AVAIL_DATA), 16n + 16n + 16n);
  assert.deepEqual(rb.consume(), [new Uint8Array([1, 2, 3, 4, 5]), u32(7)]);
  assert.equal(rb.query(BPF_RB_AVAIL_DATA), 0n);
  assert.equal(rb.query(BPF_RB_RING_SIZE), 4096n);
  assert.equal(rb.query(BPF_RB_PROD_POS), 48n);
  assert.equal(rb.reserve(4, 1), 0, 'reserve flags must be 0');
  assert.equal(rb.output(u32(1), 4), -22);
  rb.close();
});

test('ring buffer: full, then room again after consuming; records wrap contiguously', () => {
  const { rb, space } = ring(4096);
  assert.equal(rb.reserve(4096), 0, 'a record as big as the ring never fits');
  // 8 + 1000 -> 1008 bytes per record; four fit (4032), a fifth does not.
  const recs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const d = new Uint8Array(1000).fill(i + 1);
    assert.equal(rb.output(d), 0);
  }
  assert.equal(rb.output(new Uint8Array(1000)), -11, 'EAGAIN when full');
  assert.equal(rb.consume(2).length, 2);
  // The producer is at 4032: this record starts 64 bytes before the end and wraps.
  const a = rb.reserve(1000);
  assert.notEqual(a, 0);
  assert.equal(a - 8 - rb.regions[0]!.start, 4032);
  const data = new Uint8Array(1000).map((_, i) => i & 0xff);
  space.writeBytes(a, data);
  assert.equal(rb.submit(a, 2), 0);
  recs.push(...rb.consume().map((r) => r[0]!));
  assert.deepEqual(recs, [3, 4, 0]);
  assert.equal(rb.consumerPos, rb.producerPos);
  // Long run of mixed records across many wraps.
  for (let i = 0; i < 200; i++) {
    const n = 1 + ((i * 37) % 700);
    const r = rb.reserve(n);
    assert.notEqual(r, 0, `record ${i}`);
    space.writeBytes(r, new Uint8Array(n).fill(i & 0xff));
    if (i % 3 === 0) rb.discard(r);
    else rb.submit(r);
    const got = rb.consume();
    if (i % 3 === 0) assert.equal(got.length, 0);
    else assert.deepEqual(got, [new Uint8Array(n).fill(i & 0xff)]);
  }
  assert.ok(rb.wakeups > 0);
});

test('ring buffer: a busy record blocks the consumer and its space stays taken', () => {
  const { rb } = ring(4096);
  const first = rb.reserve(100); // stays busy
  assert.notEqual(first, 0);
  assert.equal(rb.output(new Uint8Array(2000)), 0);
  assert.equal(rb.output(new Uint8Array(1990)), -11);
  assert.deepEqual(rb.consume(), []);
  rb.submit(first);
  assert.equal(rb.consume().length, 2);
});

test('ring buffer: a record is a window of its size that dies at submit or discard', () => {
  const { rb, space } = ring();
  const a = rb.reserve(12);
  const b = rb.reserve(4);
  space.writeU32(a + 8, 1);
  assert.throws(() => space.writeU32(a + 12, 1), MemoryFault, 'past the record (its padding)');
  assert.throws(() => space.writeU64(a + 8, 1n), MemoryFault, 'straddles the record end');
  assert.throws(() => space.readU8(a - 1), MemoryFault, 'before the record');
  space.writeU32(b, 2);
  rb.submit(a);
  assert.throws(() => space.writeU32(a, 1), MemoryFault, 'use after submit');
  assert.throws(() => space.readU8(a + 11), MemoryFault, 'use after submit');
  space.writeU32(b, 3);
  rb.discard(b);
  assert.throws(() => space.readU32(b), MemoryFault, 'use after discard');
  assert.equal(rb.output(new Uint8Array(4).fill(9)), 0);
  assert.equal(space.regions.length, 0, 'output maps no window');
  assert.deepEqual(
    rb.consume().map((r) => [...r]),
    [
      [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
      [9, 9, 9, 9],
    ],
  );
});
