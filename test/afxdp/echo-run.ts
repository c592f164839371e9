// The AF_XDP echo scenario, run in the simulation (Network, XskSocket) and on the kernel (a veth
// pair in a tsbpfx namespace, KernelXskSocket) with the same object (examples/xdp_xsk_redirect),
// the same traffic and the same TypeScript user code (echo.ts): UDP frames go to the socket of
// their RX queue, come back out of the device with the MACs swapped and reach the peer; other
// frames pass to the device's stack.
import { readFileSync } from 'node:fs';
import { loadCollectionSpec } from '../../src/index.js';
import { attachXdp, KernelXskSocket, loadKernel, Netns, PacketSocket } from '../../src/kernel/index.js';
import { type AfXdpSocket, generateTraffic, Network, Umem, XskSocket } from '../../src/net/index.js';
import { loadUnderTest as load } from '../engines.js';
import { echoOnce, fillFrames, recycleCompletions, swapMacs } from './echo.js';
import { captureAll, PREFIX, sleepMs, waitFor } from './kernel-env.js';

const root = new URL('../../../', import.meta.url);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

export const ECHO_TRAFFIC = [
  {
    count: 24,
    src: '10.9.0.0/29',
    dst: '10.9.1.1',
    srcPort: [4000, 4007] as [number, number],
    size: [60, 900] as [number, number],
  },
  { count: 6, protocol: 'tcp' as const, src: '10.9.0.1', dst: '10.9.1.1' },
];
const RING = 64;
const FRAMES = 128;

export interface EchoOutcome {
  /** What came back to the peer (hex, sorted). */
  readonly echoed: string[];
  /** What the device's own stack took (hex, sorted). */
  readonly passed: string[];
  /** The object's `to_socket` counter. */
  readonly redirected: number;
  /** XDP_STATISTICS after the run. */
  readonly stats: ReturnType<AfXdpSocket['statistics']>;
}

const spec = () =>
  loadCollectionSpec(new Uint8Array(readFileSync(new URL('examples/xdp_xsk_redirect.v3.o', root))));
const counter = (v: Uint8Array) => Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));

/** Echoes until `expected` frames went out or nothing more arrives. */
function serve(sock: AfXdpSocket, expected: number, wait: (s: AfXdpSocket) => void): void {
  let done = 0;
  for (let idle = 0; done < expected && idle < 3; ) {
    wait(sock);
    const n = echoOnce(sock, swapMacs);
    recycleCompletions(sock);
    done += n;
    idle = n === 0 ? idle + 1 : 0;
  }
}

export function runEchoSim(): EchoOutcome {
  using net = new Network({ capture: true, cpus: 1 });
  const [a, b] = net.addVethPair({ name: 'tsbpfx-e0' }, { name: 'tsbpfx-e1' });
  using c = load(spec(), { ...net.loadOptions(), cpus: 1 });
  net.attach(a, 'xdp', c.program('xdp_xsk_redirect'));
  using sock = new XskSocket(new Umem({ frameCount: FRAMES, frameSize: 2048 }), {
    fillSize: RING,
    completionSize: RING,
    rxSize: RING,
    txSize: RING,
  }).bind(net.sockets, a.ifindex, 0);
  c.map('xsks').update(u32(0), u32(sock.id));
  fillFrames(sock, 0, RING);
  const frames = generateTraffic(ECHO_TRAFFIC);
  for (const p of frames) net.send(b, p.data, p.timestamp);
  net.run();
  serve(sock, frames.length, () => net.run());
  net.run();
  return {
    echoed: b.received.map((f) => hex(f.data)).sort(),
    passed: a.received.map((f) => hex(f.data)).sort(),
    redirected: counter(c.map('to_socket').lookup(u32(0))!),
    stats: sock.statistics(),
  };
}

export function runEchoKernel(): EchoOutcome {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using c = loadKernel(spec());
  const { sock, link, tx, atB, atA } = ns.run(() => {
    const sock = KernelXskSocket.create({
      umem: { frameCount: FRAMES, frameSize: 2048 },
      ifindex: a.ifindex,
      queue: 0,
      fillSize: RING,
      completionSize: RING,
      rxSize: RING,
      txSize: RING,
    });
    return {
      sock,
      link: attachXdp(c.program('xdp_xsk_redirect'), a.ifindex, 'native'),
      tx: PacketSocket.open(b.ifindex),
      atB: PacketSocket.open(b.ifindex),
      atA: PacketSocket.open(a.ifindex),
    };
  });
  try {
    c.map('xsks').update(u32(0), u32(sock.fd));
    fillFrames(sock, 0, RING);
    const frames = generateTraffic(ECHO_TRAFFIC);
    for (const p of frames) tx.send(p.data);
    const udp = ECHO_TRAFFIC[0]!.count;
    waitFor(() => sock.rx.nbAvail(RING) >= udp);
    serve(sock, udp, (s) => s.poll(50));
    sleepMs(50);
    // What the traffic should give (the UDP frames echoed to B, the rest passed at A), waited for;
    // the test compares what came, extras included, with the simulation.
    return {
      echoed: captureAll(atB, udp, 200).map(hex).sort(),
      passed: captureAll(atA, frames.length - udp)
        .map(hex)
        .sort(),
      redirected: counter(c.map('to_socket').lookup(u32(0))!),
      stats: sock.statistics(),
    };
  } finally {
    for (const h of [atA, atB, tx, link, sock]) h.close();
  }
}
