// Benchmark: the simulated XDP data path in packets per second on one core, for an immediate
// XDP_DROP and for parse-and-count (examples/xdp_ddos: Ethernet/IPv4 parse, a hash lookup, a
// per-CPU counter), beside the kernel's BPF_PROG_TEST_RUN rate for the same programs in the
// same run (the kernel's JIT, repeat 1M: its mean time per run as a rate). Columns, on each
// engine: the whole device path (Network.run: NAPI polls of 64 frames, contexts refilled per
// frame, counters; no capture; on the JIT each poll is one batch call into Wasm), and the bare
// runOn on one context (one call into the engine per frame). Times are the process's CPU time
// (user + system), not wall time: on a shared machine that is what one core gives.
// Run: npm run build && node dist/bench/datapath.bench.js (root for the kernel rows).

import { readFileSync } from 'node:fs';
import process from 'node:process';
import { assemble, type CollectionSpec, load, loadCollectionSpec, XdpContext } from '../src/index.js';
import { bpfAvailability, loadKernel } from '../src/kernel/index.js';
import { generateTraffic, Network } from '../src/net/index.js';

const FRAMES = 200_000;
const ROUNDS = 5;
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

function simulate(
  spec: CollectionSpec,
  prog: string,
  engine: (typeof ENGINES)[number],
): { path: number; bare: number } {
  let path = Infinity;
  let bare = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const net = new Network({ capture: false, cpus: 1 });
    const eth0 = net.addDevice({ name: 'eth0' });
    const c = load(spec, { ...net.loadOptions(), cpus: 1, engine });
    if (c.program(prog).engineName !== engine)
      throw new Error(`${prog} runs on ${c.program(prog).engineName}`);
    if (c.maps.has('blocklist')) c.map('blocklist').update(blocked, new Uint8Array(8));
    net.attach(eth0, 'xdp', c.program(prog));
    net.inject(eth0, frames);
    path = Math.min(
      path,
      cpuMs(() => net.run()),
    );
    // The engine alone: runOn on one context, frames refilled the same way.
    const ctx = XdpContext.create('XDP', c.space, {
      data: traffic[0]!.data,
      ctx: undefined,
      flags: 0,
      interfaces: c.interfaces,
    });
    if (!(ctx instanceof XdpContext)) throw new Error('context');
    const p = c.program(prog);
    bare = Math.min(
      bare,
      cpuMs(() => {
        for (let i = 0; i < FRAMES; i++) {
          ctx.refill(traffic[i & 63]!.data, 2, 0);
          p.runOn(ctx, 0);
        }
      }),
    );
    ctx.release();
    net.close();
    c.close();
  }
  return { path, bare };
}

const kernel = bpfAvailability();
console.log(`datapath: ${FRAMES} frames of 64 bytes, best of ${ROUNDS} (CPU time); Mpps per core`);
console.log(
  'program                    | interp Network.run | interp runOn | jit Network.run | jit runOn | kernel test_run',
);
for (const k of cases) {
  const cols = ENGINES.flatMap((e) => {
    const s = simulate(k.spec, k.prog, e);
    return [mpps(FRAMES, s.path), mpps(FRAMES, s.bare)];
  });
  let kern = kernel.ok ? '' : `- (${kernel.reason})`;
  if (kernel.ok) {
    const c = loadKernel(k.spec);
    try {
      if (c.maps.has('blocklist')) c.maps.get('blocklist')!.update(blocked, new Uint8Array(8));
      const r = c.programs.get(k.prog)!.run({ data: traffic[0]!.data, repeat: 1_000_000 });
      kern = (1e3 / Math.max(r.duration, 1)).toFixed(3);
    } finally {
      c.close();
    }
  }
  const w = [18, 12, 15, 9];
  console.log(`${k.name.padEnd(26)} | ${cols.map((c, i) => c.padStart(w[i]!)).join(' | ')} | ${kern}`);
}
