// A NAPI poll through the engine's batch path (the JIT's runBatch) against the same traffic run
// frame by frame (the interpreter): per frame the program drops, passes after moving data
// (bpf_xdp_adjust_head: the helper must see that frame's context), redirects to another
// device (bpf_redirect: each run's own outcome) or tail-calls a program that transmits. Every
// counter, every frame out of every device and the map must agree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../asm/index.js';
import { load } from '../index.js';
import type { CollectionSpec, ProgramSpec } from '../program/index.js';
import { Network } from './network.js';
import { generateTraffic } from './traffic.js';

const prog = (name: string, text: string, refs: Record<number, string> = {}): ProgramSpec => ({
  name,
  sectionName: 'xdp',
  type: 'XDP',
  flags: 0,
  instructions: assemble(text).map((i, k) =>
    refs[k] === undefined ? i : { ...i, src: 1, reference: refs[k] },
  ),
  license: 'GPL',
  funcInfo: [],
  lineInfo: [],
});

/** The last byte of the IPv4 source picks the fate; `target` is the redirect's ifindex. */
const spec = (target: number): CollectionSpec => ({
  programs: [
    prog(
      'fate',
      `
      r6 = r1
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      r4 = r2
      r4 += 30
      if r4 > r3 goto drop
      r5 = *(u8 *)(r2 + 29)
      r5 &= 3
      if r5 == 0 goto drop
      if r5 == 1 goto pass
      if r5 == 2 goto redirect
      r1 = r6
      r2 = 0 ll
      r3 = 0
      call 12
      r0 = 0
      exit
    drop:
      r0 = 1
      exit
    pass:
      r1 = r6
      r2 = 14
      call 44
      r0 = 2
      exit
    redirect:
      r1 = ${target}
      r2 = 0
      call 23
      exit`,
      { 12: 'jt' },
    ),
    // Counts its runs in cnt[0], swaps nothing, transmits.
    prog(
      'tx',
      `
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r1 = 0 ll
      r2 = r10
      r2 += -4
      call 1
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
    out:
      r0 = 3
      exit`,
      { 2: 'cnt' },
    ),
  ],
  maps: [
    {
      name: 'jt',
      type: 'PROG_ARRAY',
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      flags: 0,
      pinning: 'none',
      sectionName: '.maps',
      contents: { kind: 'programs', slots: [{ index: 0, program: 'tx' }] },
    },
    {
      name: 'cnt',
      type: 'ARRAY',
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      flags: 0,
      pinning: 'none',
      sectionName: '.maps',
    },
  ],
  variables: [],
  license: 'GPL',
});

function simulate(engine: 'interp' | 'jit', capture = true) {
  using net = new Network({ capture });
  const eth0 = net.addDevice({ name: 'eth0' });
  const eth1 = net.addDevice({ name: 'eth1' });
  using c = load(spec(eth1.ifindex), { ...net.loadOptions(), engine });
  const fate = c.program('fate');
  assert.equal(fate.engineName, engine);
  net.attach(eth0, 'xdp', fate);
  // 150 frames: two full polls and a partial one; sources .1-.50 cycle through the four fates.
  net.inject(eth0, generateTraffic({ count: 150, src: '10.9.0.1/26', size: 64 }));
  // Three 20-byte frames: too short to parse, dropped.
  net.inject(
    eth0,
    [0, 1, 2].map((k) => ({ data: new Uint8Array(20).fill(k), timestamp: 0n })),
  );
  net.run();
  const out = {
    stats: [eth0.stats, eth1.stats].map((s) => JSON.stringify(s)),
    received: eth0.received.map((f) => [...f.data]),
    wires: [eth0.wire, eth1.wire].map((w) => w.map((f) => [...f.data])),
    count: [...c.map('cnt').lookup(new Uint8Array(4))!],
  };
  net.close();
  return out;
}

test('a poll run in one batch call (JIT) acts as one run per frame (interpreter)', () => {
  const jit = simulate('jit');
  const interp = simulate('interp');
  assert.deepEqual(jit, interp);
  const s = JSON.parse(jit.stats[0]!);
  // Every fate happened, so the comparison is not vacuous.
  assert.ok(s.xdp.DROP > 3 && s.xdp.PASS > 0 && s.xdp.REDIRECT > 0 && s.xdp.TX > 0, jit.stats[0]);
  assert.equal(jit.received[0]!.length, 50, 'passed frames lost their 14-byte Ethernet header');
  assert.ok(jit.wires[1]!.length > 0 && jit.wires[0]!.length > 0);
});

test('without a capture, a batch counts what it drops and passes as runs one by one do', () => {
  // The batch path adds drops and passes to the counters once per poll when nothing reads them.
  const jit = simulate('jit', false);
  assert.deepEqual(jit, simulate('interp', false));
  const s = JSON.parse(jit.stats[0]!);
  assert.ok(s.xdp.PASS > 0 && s.stack === s.xdp.PASS && s.xdp.DROP > 3, jit.stats[0]);
});

test('attaching makes the RX contexts: the first poll of each queue maps nothing', () => {
  // As a driver allocates its RX ring at attach: a device's first frames pay no context set-up.
  for (const engine of ['jit', 'interp'] as const) {
    const net = new Network({ capture: false, cpus: 2 });
    const eth0 = net.addDevice({ name: 'eth0', queues: 2 });
    const c = load(
      { programs: [prog('drop', 'r0 = 1\nexit')], maps: [], variables: [], license: 'GPL' },
      { ...net.loadOptions(), engine },
    );
    // Contexts' regions: struct xdp_md and the packet window (the engine maps its stack at its first run).
    const contexts = () => c.space.regions.filter((r) => r.kind === 'ctx' || r.kind === 'packet').length;
    const before = contexts();
    net.attach(eth0, 'xdp', c.program('drop'));
    const attached = contexts();
    assert.ok(attached > before, `${engine}: attach mapped no context`);
    net.inject(eth0, generateTraffic({ count: 64, src: '10.0.0.0/24', size: 64 }));
    const run = net.run();
    assert.ok(eth0.rx.every((q) => q.length === 0) && run.frames === 64);
    assert.ok(eth0.stats.xdp.DROP === 64, JSON.stringify(eth0.stats.xdp));
    assert.equal(contexts(), attached, `${engine}: the run mapped contexts`);
    net.close();
    c.close();
  }
});
