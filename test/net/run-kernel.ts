// Runs a Scenario (scenarios.ts) on the kernel: its veth pairs in a `tsbpfx` network namespace
// (renamed to tsbpfx names; the outcome uses the scenario's names), the object loaded with
// loadKernel, programs attached with XDP (native) and TCX links, map entries written, traffic
// sent by each device's peer through AF_PACKET, and every device's received frames captured
// with an AF_PACKET socket. A `gro` device gets an XDP_PASS program instead (what lets a veth
// take XDP_TX / redirected frames). Reports the same ScenarioOutcome as run-sim.ts, without
// the simulation-only XDP verdicts. AF_PACKET sees a frame before TC ingress runs (the taps come
// first in __netif_receive_skb_core), so on a device with a TC ingress program `received` also
// holds the frames TC drops: compare those devices by maps, not by frames.
import { readFileSync } from 'node:fs';
import { assemble, loadCollectionSpec } from '../../src/index.js';
import {
  attachTcx,
  attachXdp,
  type KernelLink,
  loadKernel,
  loadProgram,
  type NetDev,
  Netns,
  PacketSocket,
  possibleCpuCount,
} from '../../src/kernel/index.js';
import { generateTraffic } from '../../src/net/index.js';
import { captureAll, PREFIX, sleepMs } from '../afxdp/kernel-env.js';
import { mapNumbers } from './run-sim.js';
import type { Scenario, ScenarioOutcome } from './scenarios.js';

const root = new URL('../../../', import.meta.url);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * `expected`: how many frames a device should receive (the simulation's count), waited for before
 * the captures are read; a device not named is read after a quiet 100 ms.
 */
export function runScenarioKernel(s: Scenario, expected?: Readonly<Record<string, number>>): ScenarioOutcome {
  using ns = Netns.create(PREFIX);
  const devs = new Map<string, NetDev>();
  const peerOf = new Map<string, string>();
  for (const [a, b] of s.veths) {
    const pair = ns.addVeth({ queues: [a.queues ?? 1, b.queues ?? 1] });
    devs.set(a.name, pair.a);
    devs.set(b.name, pair.b);
    peerOf.set(a.name, b.name);
    peerOf.set(b.name, a.name);
  }
  const dev = (name: string): NetDev => {
    const d = devs.get(name);
    if (d === undefined) throw new Error(`scenario ${s.name}: no device ${name}`);
    return d;
  };
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(new URL(`examples/${s.object}`, root))));
  using c = loadKernel(spec);
  using pass = loadProgram({ type: 'XDP', insns: assemble('mov r0, 2\nexit'), name: 'tsbpfx_pass' });
  const links: KernelLink[] = [];
  const captures = new Map<string, PacketSocket>();
  try {
    ns.run(() => {
      for (const a of s.attach) {
        const ifindex = dev(a.device).ifindex;
        const prog = c.program(a.program);
        links.push(
          a.hook === 'xdp'
            ? attachXdp(prog, ifindex, 'native')
            : attachTcx(prog, ifindex, a.hook === 'tc-ingress' ? 'ingress' : 'egress'),
        );
      }
      for (const [a, b] of s.veths)
        for (const d of [a, b])
          if (d.gro === true) links.push(attachXdp(pass, dev(d.name).ifindex, 'native'));
      for (const [name, d] of devs) captures.set(name, PacketSocket.open(d.ifindex));
    });
    const refs = { ifindex: (d: string) => dev(d).ifindex, program: (p: string) => c.program(p).fd };
    // Inside the namespace: a devmap entry's ifindex is looked up in the caller's namespace.
    ns.run(() => {
      for (const e of s.maps?.(refs) ?? []) c.map(e.map).update(e.key, e.value);
    });
    ns.run(() => {
      for (const t of s.traffic) {
        using tx = PacketSocket.open(dev(peerOf.get(t.device)!).ifindex);
        for (const p of generateTraffic(t.templates)) tx.send(p.data);
      }
    });
    sleepMs(200);
    const received: Record<string, string[]> = {};
    for (const [name, sock] of captures)
      received[name] = captureAll(sock, expected?.[name] ?? 0)
        .map(hex)
        .sort();
    const cpus = possibleCpuCount();
    const maps = mapNumbers(c.maps, cpus);
    return { received, maps };
  } finally {
    for (const l of links) l.close();
    for (const sock of captures.values()) sock.close();
  }
}
