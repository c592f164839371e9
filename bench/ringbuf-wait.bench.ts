// Benchmark: how a kernel ring buffer reader should wait without blocking Node's event loop.
// (A) RingBufferReader.next(): poll(2) on a libuv worker thread through koffi's async call
// (what tsbpf does); (B) read() retried from setImmediate (non-blocking poll on the loop);
// (C) read() retried every 1 ms from setTimeout. For each: wake-up latency (from the end of the
// BPF_PROG_TEST_RUN that wrote a record to the moment the consumer has it), median and p99 of
// 300 records produced 2 ms apart from a timer, and the process CPU time used while waiting 1 s
// with nothing produced. Needs root (bpf()).
// Run: npm run build && node dist/bench/ringbuf-wait.bench.js

import { assemble } from '../src/index.js';
import {
  bpfAvailability,
  createMap,
  type KernelMap,
  loadProgram,
  RingBufferReader,
} from '../src/kernel/index.js';

const N = 300;

function producer(map: KernelMap) {
  return loadProgram({
    type: 'XDP',
    insns: assemble(`stdw [r10-8], 7
lddw r1, map_by_fd(${map.fd})
mov r2, r10
add r2, -8
mov r3, 8
mov r4, 0
call 130
mov r0, 2
exit`),
  });
}

type Waiter = (reader: RingBufferReader) => Promise<Uint8Array | undefined>;

const viaWorker: Waiter = (r) => r.next();
const viaImmediate: Waiter = (r) =>
  new Promise((resolve) => {
    const spin = () => {
      const rec = r.read();
      if (rec !== undefined) resolve(rec);
      else setImmediate(spin);
    };
    spin();
  });
const viaTimer: Waiter = (r) =>
  new Promise((resolve) => {
    const spin = () => {
      const rec = r.read();
      if (rec !== undefined) resolve(rec);
      else setTimeout(spin, 1);
    };
    spin();
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(name: string, wait: Waiter): Promise<void> {
  using map = createMap({ type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  using prog = producer(map);
  const reader = RingBufferReader.open(map);
  const data = new Uint8Array(64);
  const lat: number[] = [];
  for (let k = 0; k < N; k++) {
    let producedAt = 0;
    const t = setTimeout(() => {
      prog.testRun({ data });
      producedAt = performance.now();
    }, 2);
    await wait(reader);
    lat.push(performance.now() - producedAt);
    clearTimeout(t);
  }
  lat.sort((a, b) => a - b);
  // Idle: nothing is produced for 1 s; what does waiting cost?
  const cpu0 = process.cpuUsage();
  const idle = wait(reader);
  await sleep(1000);
  const cpu = process.cpuUsage(cpu0);
  prog.testRun({ data }); // release the waiter
  await idle;
  await reader.close();
  const us = (x: number) => `${(x * 1000).toFixed(0)} us`;
  console.log(
    `| ${name} | ${us(lat[Math.floor(N / 2)]!)} | ${us(lat[Math.floor(N * 0.99)]!)} | ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms |`,
  );
}

const avail = bpfAvailability();
if (!avail.ok) {
  console.log(`skipped: ${avail.reason}`);
} else {
  console.log('| wait | latency p50 | latency p99 | CPU during 1 s idle |');
  console.log('|---|---|---|---|');
  await measure('poll(2) on a worker (koffi async)', viaWorker);
  await measure('read() from setImmediate', viaImmediate);
  await measure('read() every 1 ms (setTimeout)', viaTimer);
}
