// The ring buffer reader against the kernel: an XDP program run through BPF_PROG_TEST_RUN
// writes records with bpf_ringbuf_output, or reserves and then submits or discards them; the
// reader sees exactly the submitted ones, in order, discarded ones skipped, and its async
// iterator wakes when records arrive while Node's event loop keeps running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../asm/index.js';
import { TsbpfError } from '../errors.js';
import { bpfAvailability } from './available.js';
import { createMap, type KernelMap } from './map.js';
import { type KernelProgram, loadProgram } from './program.js';
import { RingBufferReader } from './ringbuf.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** Frame byte 0 picks the way (0 output, 1 reserve+submit, 2 reserve+discard), bytes 12..15 the value. */
function producer(map: KernelMap): KernelProgram {
  return loadProgram({
    type: 'XDP',
    name: 'k12_ringbuf',
    insns: assemble(`ldxw r2, [r1+0]
ldxw r3, [r1+4]
mov r4, r2
add r4, 16
jgt r4, r3, out
ldxw r6, [r2+12]
ldxb r7, [r2+0]
jne r7, 0, reserve
stxdw [r10-8], r6
lddw r1, map_by_fd(${map.fd})
mov r2, r10
add r2, -8
mov r3, 8
mov r4, 0
call 130
ja out
reserve:
lddw r1, map_by_fd(${map.fd})
mov r2, 8
mov r3, 0
call 131
jeq r0, 0, out
stxdw [r0+0], r6
mov r1, r0
mov r2, 0
jeq r7, 2, discard
call 132
ja out
discard:
call 133
out:
mov r0, 2
exit`),
  });
}

function frame(way: number, value: number): Uint8Array {
  const f = new Uint8Array(64);
  f[0] = way;
  new DataView(f.buffer).setUint32(12, value, true);
  return f;
}

const recordValue = (r: Uint8Array) => Number(new DataView(r.buffer, r.byteOffset).getBigUint64(0, true));

test('records are read in order; discarded ones are skipped; the ring wraps', { skip }, async () => {
  using map = createMap({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 });
  using prog = producer(map);
  await using reader = RingBufferReader.open(map);
  assert.equal(reader.read(), undefined, 'empty at first');
  const expected: number[] = [];
  // 16 bytes per record in a 4096-byte ring: 2000 records wrap it many times.
  for (let k = 0; k < 2000; k++) {
    const way = k % 3;
    prog.testRun({ data: frame(way, k) });
    if (way !== 2) expected.push(k);
    if (k % 100 === 99) {
      const got: number[] = [];
      for (let r = reader.read(); r !== undefined; r = reader.read()) {
        assert.equal(r.length, 8);
        got.push(recordValue(r));
      }
      assert.deepEqual(got, expected.splice(0));
    }
  }
  assert.equal(reader.pending, 0);
});

test('a full ring drops records (the program sees failure); the reader loses none it was given', {
  skip,
}, async () => {
  using map = createMap({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 });
  using prog = producer(map);
  await using reader = RingBufferReader.open(map);
  for (let k = 0; k < 400; k++) prog.testRun({ data: frame(0, k) });
  const got: number[] = [];
  for (let r = reader.read(); r !== undefined; r = reader.read()) got.push(recordValue(r));
  // The kernel never lets the ring be exactly full (__bpf_ringbuf_reserve refuses a record
  // that would put the producer more than `mask` bytes past the consumer): one 16-byte slot less.
  assert.equal(got.length, 4096 / 16 - 1, 'exactly what fits');
  assert.deepEqual(
    got,
    Array.from({ length: got.length }, (_, k) => k),
    'the first ones, in order',
  );
});

// The records come from a timer on this same event loop: had the wait blocked the loop, the
// timer could never fire and the test would time out.
test('the async iterator waits off the event loop and wakes for new records', {
  skip,
  timeout: 20_000,
}, async () => {
  using map = createMap({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 8192 });
  using prog = producer(map);
  const reader = RingBufferReader.open(map);
  const produce = setTimeout(() => {
    for (let k = 0; k < 5; k++) prog.testRun({ data: frame(1, 100 + k) });
  }, 60);
  const got: number[] = [];
  const t0 = Date.now();
  for await (const r of reader) {
    got.push(recordValue(r));
    if (got.length === 5) break;
  }
  clearTimeout(produce);
  assert.deepEqual(got, [100, 101, 102, 103, 104]);
  assert.ok(Date.now() - t0 >= 50, 'the iterator waited for the producer');
  // close() ends a pending wait at once.
  const pending = reader.next();
  await reader.close();
  assert.equal(await pending, undefined);
  assert.throws(() => reader.read(), TsbpfError);
});

test('RingBufferReader.open refuses maps that are not ring buffers', { skip }, () => {
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 4096 });
  assert.throws(() => RingBufferReader.open(map), /not a ring buffer/);
});
