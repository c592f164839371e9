// The perf buffer reader against the kernel: an XDP program run through BPF_PROG_TEST_RUN
// calls bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, &value, 8); the reader gets each
// sample (padded to keep records 8-byte aligned) from the CPU it ran on, in order, across the
// ring's wrap, and its async iterator wakes for samples written by a timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentCpu, pinThread } from '../../test/parity/affinity.js';
import { assemble } from '../asm/index.js';
import { bpfAvailability } from './available.js';
import { createMap, type KernelMap, possibleCpuCount } from './map.js';
import { PerfBufferReader, type PerfRecord } from './perf-buffer.js';
import { loadProgram } from './program.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** Frame bytes 12..15 are the value written. */
function producer(map: KernelMap) {
  return loadProgram({
    type: 'XDP',
    name: 'k12_perf',
    insns: assemble(`ldxw r2, [r1+0]
ldxw r3, [r1+4]
mov r4, r2
add r4, 16
jgt r4, r3, out
ldxw r6, [r2+12]
stxdw [r10-8], r6
lddw r2, map_by_fd(${map.fd})
lddw r3, 0xffffffff
mov r4, r10
add r4, -8
mov r5, 8
call 25
out:
mov r0, 2
exit`),
  });
}

function frame(value: number): Uint8Array {
  const f = new Uint8Array(64);
  new DataView(f.buffer).setUint32(12, value, true);
  return f;
}

const sampleValue = (r: PerfRecord) => {
  assert.equal(r.kind, 'sample');
  if (r.kind !== 'sample') return -1;
  return Number(new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(0, true));
};

test('samples are read, in order per CPU, across the wrap of one-page rings', { skip }, async () => {
  using map = createMap({
    type: 'PERF_EVENT_ARRAY',
    keySize: 4,
    valueSize: 4,
    maxEntries: possibleCpuCount(),
  });
  using prog = producer(map);
  await using reader = PerfBufferReader.open(map, { pagesPerCpu: 1 });
  assert.equal(reader.read(), undefined);
  // 24-byte records (8 header + 4 size + 8 data, padded to 24) in 4096 bytes: 1000 wrap it.
  for (let k = 0; k < 1000; k += 50) {
    for (let j = k; j < k + 50; j++) prog.testRun({ data: frame(j) }); // on whichever CPU the test runs
    const got: number[] = [];
    const lastByCpu = new Map<number, number>();
    for (let r = reader.read(); r !== undefined; r = reader.read()) {
      const v = sampleValue(r);
      assert.ok(v > (lastByCpu.get(r.cpu) ?? -1), `in order on cpu ${r.cpu}`);
      lastByCpu.set(r.cpu, v);
      got.push(v);
    }
    assert.deepEqual(
      got.sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => k + i),
    );
  }
});

test('a full ring reports lost samples; the async iterator wakes for new ones', {
  skip,
  timeout: 20_000,
}, async (t) => {
  using map = createMap({
    type: 'PERF_EVENT_ARRAY',
    keySize: 4,
    valueSize: 4,
    maxEntries: possibleCpuCount(),
  });
  using prog = producer(map);
  // One CPU for the whole test: each CPU has its own ring and its own lost count, which the kernel
  // reports only before that CPU's next sample. A thread moved between CPUs (a loaded machine)
  // splits the 400 samples over two rings, and the loss on the ring 999 does not go to is never
  // reported.
  const unpin = pinThread([currentCpu()]);
  t.after(unpin);
  const reader = PerfBufferReader.open(map, { pagesPerCpu: 1 });
  for (let j = 0; j < 400; j++) prog.testRun({ data: frame(j) });
  const records: PerfRecord[] = [];
  for (let r = reader.read(); r !== undefined; r = reader.read()) records.push(r);
  const samples = records.filter((r) => r.kind === 'sample');
  assert.ok(samples.length > 100 && samples.length < 400, `${samples.length} samples fit`);
  prog.testRun({ data: frame(999) }); // room again: the kernel reports the loss first
  const after: PerfRecord[] = [];
  for (let r = reader.read(); r !== undefined; r = reader.read()) after.push(r);
  const lost = [...records, ...after].reduce((n, r) => n + (r.kind === 'lost' ? r.lost : 0), 0);
  assert.equal(samples.length + lost + 1, 401, `every sample is read or counted lost (${lost} lost)`);
  const produce = setTimeout(() => prog.testRun({ data: frame(7) }), 50);
  const next = await reader.next();
  clearTimeout(produce);
  assert.equal(next === undefined ? -1 : sampleValue(next), 7);
  const pending = reader.next();
  await reader.close();
  assert.equal(await pending, undefined);
});
