// `tsbpf xdp run ... --kernel`: the main job on the running kernel. Each --dev becomes one end of
// a veth pair in a network namespace made for the run (with the ifindex the simulation gives it,
// 2, 3, ..., so devmap values in --map-init mean the same device), the object is loaded with
// bpf(2), its XDP program attached with a native XDP link (TC ingress with a TCX link), and each
// capture sent into its device from the veth peer through AF_PACKET. What the device's stack
// received and what it transmitted are captured on both ends; the verdicts come from veth's own
// counters (ethtool -S: rx_queue_N_xdp_*). The namespace and everything in it go when the run ends.

import { assemble, type CollectionSpec, NotSupportedError } from '../../index.js';
import type { PcapPacket } from '../../net/index.js';
import { UsageError } from '../args.js';
import { initMaps } from '../loaded.js';
import type { Output } from '../output.js';
import { dumps, mapChanges, printMapChanges, xdpProgramName } from './xdp.js';

/** One --dev: its name, its capture file and the frames read from it. */
export interface DeviceInput {
  readonly name: string;
  readonly capture?: string;
  readonly frames: readonly PcapPacket[];
}

export interface KernelRunOptions {
  readonly prog?: string | undefined;
  readonly tcIngress?: string | undefined;
  /** A --map-init file: its text and its path (for messages). */
  readonly mapInit?: { readonly text: string; readonly path: string } | undefined;
  readonly queues: number;
}

/** The peers' ifindexes, far from the devices' 2, 3, ... */
const PEER_BASE = 1000;
/** How long a capture waits for one more frame before it calls the run done. */
const QUIET_MS = 300;

/** veth's XDP counters of one device, summed over its RX queues. */
function xdpCounters(stats: Map<string, bigint>) {
  const sum = (suffix: string) => {
    let n = 0n;
    for (const [k, v] of stats) if (/^rx_queue_\d+_/.test(k) && k.endsWith(`_${suffix}`)) n += v;
    return Number(n);
  };
  return {
    packets: sum('xdp_packets'),
    drops: sum('xdp_drops'),
    tx: sum('xdp_tx'),
    redirect: sum('xdp_redirect'),
  };
}

export async function xdpRunKernel(
  spec: CollectionSpec,
  inputs: readonly DeviceInput[],
  options: KernelRunOptions,
  out: Output,
): Promise<number> {
  const kernel = await import('../../kernel/index.js');
  const available = kernel.bpfAvailability();
  if (!available.ok) throw new NotSupportedError('xdp run --kernel', available.reason);
  const progName = xdpProgramName(spec, options.prog);
  using ns = kernel.Netns.create('tsbpfrun');
  const devs = inputs.map((_, i) =>
    ns.addVeth({ queues: [options.queues, 1], ifindex: [2 + i, PEER_BASE + i] }),
  );
  const coll = kernel.loadKernel(spec);
  try {
    // Inside the namespace: a devmap or cpumap update resolves ifindexes in the caller's one.
    const mapInit = options.mapInit;
    if (mapInit !== undefined) ns.run(() => initMaps(coll, mapInit.text, mapInit.path));
    const prog = coll.program(progName);
    if (options.tcIngress !== undefined && !coll.programs.has(options.tcIngress))
      throw new UsageError(
        `no program '${options.tcIngress}' (programs: ${[...coll.programs.keys()].join(', ')})`,
      );
    const tc = options.tcIngress === undefined ? undefined : coll.program(options.tcIngress);
    // A veth takes XDP_TX and redirected frames only when its peer runs XDP: the peers pass all.
    using pass = kernel.loadProgram({
      type: 'XDP',
      insns: assemble('r0 = 2\nexit'),
      name: 'tsbpf_peer_pass',
    });
    const before = dumps(coll.maps);
    const result = ns.run(() => {
      const links = devs.flatMap(({ a, b }) => [
        kernel.attachXdp(prog, a.ifindex, 'native'),
        kernel.attachXdp(pass, b.ifindex, 'native'),
        ...(tc === undefined ? [] : [kernel.attachTcx(tc, a.ifindex, 'ingress')]),
      ]);
      const stack = devs.map(({ a }) => kernel.PacketSocket.open(a.ifindex));
      const wire = devs.map(({ b }) => kernel.PacketSocket.open(b.ifindex));
      try {
        const start = devs.map(({ a }) => xdpCounters(kernel.deviceStatistics(a.name)));
        const t0 = performance.now();
        inputs.forEach((input, i) => {
          for (const f of input.frames) wire[i]!.send(f.data);
        });
        const received = stack.map((s) => s.receive(Number.MAX_SAFE_INTEGER, QUIET_MS));
        const sent = wire.map((s) => s.receive(Number.MAX_SAFE_INTEGER, QUIET_MS));
        const seconds = (performance.now() - t0) / 1000;
        const end = devs.map(({ a }) => xdpCounters(kernel.deviceStatistics(a.name)));
        return { start, end, received, sent, seconds };
      } finally {
        for (const s of [...stack, ...wire]) s.close();
        for (const l of links) l.close();
      }
    });
    const changes = mapChanges(before, dumps(coll.maps));
    const devices = inputs.map((input, i) => {
      const s = result.start[i]!;
      const e = result.end[i]!;
      const drop = e.drops - s.drops;
      const tx = e.tx - s.tx;
      const redirect = e.redirect - s.redirect;
      const packets = e.packets - s.packets;
      return {
        name: input.name,
        ifindex: devs[i]!.a.ifindex,
        queues: options.queues,
        ...(input.capture === undefined ? {} : { capture: input.capture }),
        rxPackets: packets,
        // veth counts XDP_ABORTED with the drops.
        xdp: { PASS: packets - drop - tx - redirect, DROP_OR_ABORTED: drop, TX: tx, REDIRECT: redirect },
        stack: result.received[i]!.length,
        txPackets: result.sent[i]!.length,
      };
    });
    const total = inputs.reduce((n, i) => n + i.frames.length, 0);
    out.data({
      backend: 'kernel',
      program: progName,
      ...(tc === undefined ? {} : { tc_ingress: options.tcIngress }),
      frames: total,
      seconds: result.seconds,
      devices,
      map_changes: changes,
    });
    out.text(
      `${progName}${tc === undefined ? '' : ` + TC ingress ${options.tcIngress}`}: ${total} frames on ${inputs.length} veth${inputs.length === 1 ? '' : 's'} in the kernel (namespace ${ns.name}, removed after)`,
    );
    for (const d of devices) {
      const acts = Object.entries(d.xdp)
        .filter(([, n]) => n > 0)
        .map(([a, n]) => `${a} ${n}`);
      out.text(`${d.name} (ifindex ${d.ifindex}${d.capture === undefined ? '' : `, ${d.capture}`})`);
      out.text(`  rx ${d.rxPackets} frames through XDP: ${acts.join(', ') || 'none'}`);
      out.text(`  stack received ${d.stack}; transmitted ${d.txPackets} frames`);
    }
    printMapChanges(out, changes);
    return 0;
  } finally {
    coll.close();
  }
}
