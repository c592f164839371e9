// Benchmark: the simulated XDP data path in packets per second on one core, for an immediate
// XDP_DROP and for parse-and-count (examples/xdp_ddos: Ethernet/IPv4 parse, a hash lookup, a
// per-CPU counter), beside the kernel's BPF_PROG_TEST_RUN rate for the same programs in the
// same run (the kernel's JIT, repeat 1M: its mean time per run as a rate). Columns, on each
// engine: the whole device path (Network.run: NAPI polls of 64 frames, contexts refilled per
// frame, counters; no capture; on the JIT each poll is one batch call into Wasm) in the steady
// state and in the first round of a fresh load (the JIT's compile, V8's tier-up), and the bare
// runOn on one context (one call into the engine per frame). Times are the process's CPU time
// (user + system), not wall time: on a shared machine that is what one core gives.
// Run: npm run build && node dist/bench/datapath.bench.js (root for the kernel rows).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { assemble, type CollectionSpec, load, loadCollectionSpec, XdpContext } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';
import { generateTraffic, Network } from '../src/net/index.js';

const FRAMES = 200_000;
const ROUNDS = 5;
/** Rounds run before the timed ones (the JIT's compile and V8's tier-up are done by then). */
const WARMUP = 5;
const ENGINES = ['interp', 'jit'] as const;

/** CPU milliseconds of this process (user + system) spent in `f`. */
function cpuMs(f: () => void): number {
  const t0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}
const root = new URL('../../', import.meta.url);

const dropSpec: CollectionSpec = {
  programs: [
    {
      name: 'xdp_drop',
      sectionName: 'xdp',
      type: 'XDP',
      flags: 0,
      instructions: assemble('r0 = 1\nexit'),
      license: 'GPL',
      funcInfo: [],
      lineInfo: [],
    },
  ],
  maps: [],
  variables: [],
  license: 'GPL',
};
const ddosSpec = loadCollectionSpec(new Uint8Array(readFileSync(new URL('examples/xdp_ddos.v3.o', root))));
const cases: { name: string; spec: CollectionSpec; prog: string }[] = [
  { name: 'drop', spec: dropSpec, prog: 'xdp_drop' },
  { name: 'parse+count (xdp_ddos)', spec: ddosSpec, prog: 'xdp_ddos' },
];

// 64 distinct 64-byte UDP frames from 16 sources, one blocked: both verdicts happen.
const traffic = generateTraffic({ count: 64, src: '192.168.1.0/28', size: 64 });
const frames = Array.from({ length: FRAMES }, (_, i) => traffic[i % traffic.length]!);
const blocked = Uint8Array.of(192, 168, 1, 7);

const mpps = (n: number, ms: number) => (n / ms / 1000).toFixed(3);

/**
 * One load of `spec` on `engine` behind one device: the first round (what a fresh load costs:
 * the JIT compiles at its first run, V8 tiers its code up), then, after warm-up rounds, the
 * best of ROUNDS rounds of the device path and of bare runOn: the steady state, as the kernel's
 * test_run rate is (its JIT compiled the program at BPF_PROG_LOAD, outside the timing).
 */
function simulate(
  spec: CollectionSpec,
  prog: string,
  engine: (typeof ENGINES)[number],
): { first: number; path: number; bare: number } {
  const net = new Network({ capture: false, cpus: 1 });
  const eth0 = net.addDevice({ name: 'eth0' });
  const c = load(spec, { ...net.loadOptions(), cpus: 1, engine });
  try {
    const p = c.program(prog);
    if (p.engineName !== engine) throw new Error(`${prog} runs on ${p.engineName}`);
    if (c.maps.has('blocklist')) c.map('blocklist').update(blocked, new Uint8Array(8));
    net.attach(eth0, 'xdp', p);
    const round = () => {
      net.inject(eth0, frames);
      return cpuMs(() => net.run());
    };
    const first = round();
    for (let r = 0; r < WARMUP; r++) round();
    let path = Infinity;
    for (let r = 0; r < ROUNDS; r++) path = Math.min(path, round());
    // The engine alone: runOn on one context, frames refilled the same way.
    const ctx = XdpContext.create('XDP', c.space, {
      data: traffic[0]!.data,
      ctx: undefined,
      flags: 0,
      interfaces: c.interfaces,
    });
    if (!(ctx instanceof XdpContext)) throw new Error('context');
    let bare = Infinity;
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const ms = cpuMs(() => {
        for (let i = 0; i < FRAMES; i++) {
          ctx.refill(traffic[i & 63]!.data, 2, 0);
          p.runOn(ctx, 0);
        }
      });
      if (r >= WARMUP) bare = Math.min(bare, ms);
    }
    ctx.release();
    return { first, path, bare };
  } finally {
    net.close();
    c.close();
  }
}

/** The kernel's BPF_PROG_TEST_RUN rate for `k` (wall time over repeat: its own mean is whole ns). */
function kernelRate(k: (typeof cases)[number]): string {
  const kernel = bpfAvailability();
  if (!kernel.ok) return `- (${kernel.reason})`;
  const c = loadKernel(k.spec);
  try {
    if (c.maps.has('blocklist')) c.maps.get('blocklist')!.update(blocked, new Uint8Array(8));
    const p = c.programs.get(k.prog)!;
    const repeat = 1_000_000;
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      p.run({ data: traffic[0]!.data, repeat });
      best = Math.min(best, performance.now() - t0);
    }
    return mpps(repeat, best);
  } finally {
    c.close();
  }
}

function table(): void {
  console.log(
    'program                    | interp Network.run | interp 1st round | interp runOn | jit Network.run | jit 1st round | jit runOn | kernel test_run',
  );
  for (const k of cases) {
    const cols = ENGINES.flatMap((e) => {
      const s = simulate(k.spec, k.prog, e);
      return [mpps(FRAMES, s.path), mpps(FRAMES, s.first), mpps(FRAMES, s.bare)];
    });
    const w = [18, 16, 12, 15, 13, 9];
    console.log(
      `${k.name.padEnd(26)} | ${cols.map((c, i) => c.padStart(w[i]!)).join(' | ')} | ${kernelRate(k)}`,
    );
  }
}

/**
 * The CPUs to measure on, one process pinned to each (taskset: the cores of a VM can differ by
 * 1.5x, the kernel's rate with them); none where that cannot be done, or in a pinned child.
 */
function cpusToPin(): number[] {
  if (process.env.TSBPF_BENCH_CPU !== undefined || process.platform !== 'linux') return [];
  const r = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  const list = r.status === 0 ? /list:\s*([\d,-]+)/.exec(r.stdout)?.[1] : undefined;
  if (list === undefined) return [];
  return list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: b! - a + 1 }, (_, i) => a + i);
  });
}

console.log(
  `datapath: rounds of ${FRAMES} frames of 64 bytes, best of ${ROUNDS} after ${WARMUP} warm-up rounds (CPU time); Mpps per core`,
);
const pinned = cpusToPin();
if (pinned.length === 0) table();
for (const cpu of pinned) {
  console.log(`\nCPU ${cpu} (this process and the kernel's test runs pinned to it):`);
  const child = spawnSync(
    'taskset',
    ['-c', String(cpu), process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)],
    {
      env: { ...process.env, TSBPF_BENCH_CPU: String(cpu) },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    },
  );
  process.stdout.write(child.stdout.split('\n').slice(1).join('\n'));
  if (child.status !== 0) process.exitCode = 1;
}
