// Benchmark of the debugger's reverse stepping. Two recorded runs: a 10,003-instruction loop
// (assembled: a stack store, a load and a counter per iteration) and wl_csum of bench/workloads
// (UDP checksum over a 1500-byte frame, C line info). For each: the time to record the run, one
// step back at every position (stepInstruction backward: mean and worst), C-line steps back
// (reverse-step) from the end to the start (median, p99, worst, and how many took 10 ms or more), a seek from the end to the start, and the trace's
// memory per step. Run: npm run build && node dist/bench/debug.bench.js

import { assemble, type CollectionSpec, type DebugOptions, DebugSession } from '../src/index.js';
import { workloadSpec } from './workloads/index.js';
import { udpFrame } from './workloads/packets.js';

declare const performance: { now(): number };

const loop: CollectionSpec = {
  programs: [
    {
      name: 'loop',
      sectionName: 'xdp',
      type: 'XDP',
      flags: 0,
      instructions: assemble(
        'r2 = 0\n*(u64 *)(r10 - 8) = r2\nr2 += 1\nr3 = *(u64 *)(r10 - 8)\nif r2 < 2500 goto -4\nr0 = 2\nexit',
      ),
      license: 'GPL',
      funcInfo: [],
      lineInfo: [],
    },
  ],
  maps: [],
  variables: [],
} as unknown as CollectionSpec;

function measure(name: string, spec: CollectionSpec, options: DebugOptions): void {
  const t0 = performance.now();
  const session = DebugSession.start(spec, options);
  const recordMs = performance.now() - t0;
  const n = session.length;
  session.seek(n - 1);
  const times: number[] = [];
  for (let k = n - 1; k > 0; k--) {
    const s = performance.now();
    session.stepInstruction('backward');
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))]!;
  const over = times.filter((t) => t >= 10).length;
  session.seek(n - 1);
  let lines = 0;
  let worstLine = 0;
  const t2 = performance.now();
  while (session.position > 0) {
    const s = performance.now();
    session.stepLine('backward');
    worstLine = Math.max(worstLine, performance.now() - s);
    lines++;
  }
  const lineMs = performance.now() - t2;
  session.seek(n - 1);
  const t3 = performance.now();
  session.seek(0);
  const seekMs = performance.now() - t3;
  console.log(`${name}: ${n} instructions, recorded in ${recordMs.toFixed(1)} ms`);
  console.log(
    `  step back, per instruction   median ${(pct(0.5) * 1000).toFixed(1)} µs, p99 ${(pct(0.99) * 1000).toFixed(1)} µs, worst ${times.at(-1)!.toFixed(1)} ms, ${over} of ${times.length} at 10 ms or more`,
  );
  console.log(
    `  reverse-step (C line)        ${lines} steps, ${((lineMs * 1000) / lines).toFixed(1)} µs mean, ${worstLine.toFixed(3)} ms worst`,
  );
  console.log(`  seek end -> start            ${seekMs.toFixed(2)} ms`);
  console.log(
    `  trace memory                 ${session.traceBytes} bytes, ${(session.traceBytes / n).toFixed(1)} bytes per step (plus one ${session.memorySize}-byte memory image)`,
  );
  session.close();
}

measure('loop (assembled)', loop, { verify: false, packet: udpFrame({ size: 64 }) });
measure('wl_csum, 1500-byte frame', workloadSpec(), { program: 'wl_csum', packet: udpFrame({ size: 1500 }) });
