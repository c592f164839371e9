// Benchmark: AF_XDP transmit in packets per second, the simulated copy-mode socket beside a real
// one on a veth in a network namespace, in the same run. Each round puts 64 descriptors of
// 64-byte frames on TX, kicks (sendto: at most 32 per call) until TX is empty, and recycles
// COMPLETION — the same user code on both. Also the simulated receive path alone (deliver +
// flush + peek/release + FILL refill). Best of 3 rounds of 200k frames (50k on the kernel).
// Run: npm run build && node dist/bench/afxdp.bench.js (root for the kernel row).

import { bpfAvailability, KernelXskSocket, Netns } from '../src/kernel/index.js';
import { type AfXdpSocket, Umem, type XskDevice, XskRegistry, XskSocket } from '../src/net/index.js';

const RING = 64;
const ROUNDS = 3;

class Sink implements XskDevice {
  readonly name = 'bench0';
  readonly ifindex = 2;
  readonly queues = 1;
  readonly mtu = 1500;
  sent = 0;
  transmitFromSocket(): boolean {
    this.sent++;
    return true;
  }
}

function txLoop(sock: AfXdpSocket, frames: number): number {
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < frames; ) {
    const idx = sock.tx.reserve(RING);
    if (idx < 0) throw new Error('TX not drained');
    for (let k = 0; k < RING; k++) sock.tx.setDesc(idx + k, k * 2048, 64);
    sock.tx.submit(RING);
    let spins = 0;
    while (sock.tx.nbFree(RING) < RING) {
      sock.kick();
      const c = sock.completion.peek(RING);
      sock.completion.release(c.count);
      if (++spins > 1e6) throw new Error('TX stuck');
    }
    for (let got = sock.completion.peek(RING).count; got > 0; got = sock.completion.peek(RING).count)
      sock.completion.release(got);
    done += RING;
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function best(fn: () => number, frames: number): number {
  let s = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) s = Math.min(s, fn());
  return frames / s;
}

function simSocket(): { sock: XskSocket; registry: XskRegistry } {
  const registry = new XskRegistry();
  registry.addDevice(new Sink());
  const sock = new XskSocket(new Umem({ frameCount: RING * 2, frameSize: 2048 }), {
    fillSize: RING,
    completionSize: RING,
    rxSize: RING,
    txSize: RING,
  }).bind(registry, 2, 0);
  return { sock, registry };
}

const rows: [string, number][] = [];
const SIM = 200_000;
{
  const { sock } = simSocket();
  rows.push(['simulated socket, TX', best(() => txLoop(sock, SIM), SIM)]);
}
{
  const { sock } = simSocket();
  const frame = new Uint8Array(64);
  const meta = { ifindex: 2, queue: 0, metadata: new Uint8Array(0) };
  const rx = () => {
    const t0 = process.hrtime.bigint();
    for (let done = 0; done < SIM; done += RING) {
      const f = sock.fill.reserve(RING);
      for (let k = 0; k < RING; k++) sock.fill.setAddr(f + k, k * 2048);
      sock.fill.submit(RING);
      for (let k = 0; k < RING; k++) sock.deliver(frame, meta);
      sock.flush();
      sock.rx.release(sock.rx.peek(RING).count);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  rows.push(['simulated socket, RX (deliver, flush, peek/release, refill)', best(rx, SIM)]);
}
const avail = bpfAvailability();
if (avail.ok) {
  const KERNEL = 50_000;
  using ns = Netns.create('tsbpfx');
  const { a } = ns.addVeth();
  using sock = ns.run(() =>
    KernelXskSocket.create({
      umem: { frameCount: RING * 2, frameSize: 2048 },
      ifindex: a.ifindex,
      queue: 0,
      fillSize: RING,
      completionSize: RING,
      rxSize: RING,
      txSize: RING,
    }),
  );
  rows.push(['kernel AF_XDP socket, TX (copy mode, veth)', best(() => txLoop(sock, KERNEL), KERNEL)]);
} else console.log(`kernel row skipped: ${avail.reason}`);

for (const [name, pps] of rows) console.log(`${name.padEnd(62)} ${(pps / 1e6).toFixed(2)} Mpps`);
const sim = rows[0]![1];
const kernel = rows[2]?.[1];
if (kernel !== undefined) console.log(`simulated TX / kernel TX: ${(sim / kernel).toFixed(2)}`);
