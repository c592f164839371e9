// Three network namespaces for the data-plane tests on the kernel (prefix d12): host A and host B
// joined to the router namespace R by a veth pair each —
//     A: a1 10.1.0.2/24 ── R: a0 10.1.0.1/24 | b0 10.2.0.1/24 ── B: b1 10.2.0.2/24 (+ 10.9.0.1/32 on lo)
// with IPv4 forwarding on in R and default routes to R on the hosts. The hosts' ends run an
// XDP_PASS program (a veth takes XDP-redirected frames only with one, or GRO). Frames are sent
// and captured with AF_PACKET sockets inside the namespaces; ping is an ICMP echo request built
// here and answered by host B's own stack. close() deletes the namespaces (and so the veths).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { assemble } from '../../src/index.js';
import {
  attachXdp,
  type KernelLink,
  type KernelProgram,
  loadProgram,
  type NetDevice,
  Netns,
  netDevice,
  PacketSocket,
} from '../../src/kernel/index.js';
import { generateTraffic, type TrafficTemplate } from '../../src/net/index.js';
import { sleepMs } from '../afxdp/kernel-env.js';

export const PREFIX = 'd12';

export const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface ThreeHosts extends Disposable {
  readonly a: Netns;
  readonly r: Netns;
  readonly b: Netns;
  /** Devices as seen in their namespaces. */
  readonly a1: NetDevice;
  readonly a0: NetDevice;
  readonly b0: NetDevice;
  readonly b1: NetDevice;
  close(): void;
}

export function threeHosts(): ThreeHosts {
  const made: Netns[] = [];
  const held: { close(): void }[] = [];
  const close = () => {
    for (const h of held.splice(0).reverse()) h.close();
    for (const n of made.splice(0).reverse()) n.close();
  };
  try {
    const a = Netns.create(PREFIX);
    made.push(a);
    const r = Netns.create(PREFIX);
    made.push(r);
    const b = Netns.create(PREFIX);
    made.push(b);
    const toA = r.addVeth();
    const toB = r.addVeth();
    ip('-n', r.name, 'link', 'set', toA.b.name, 'netns', a.name);
    ip('-n', r.name, 'link', 'set', toB.b.name, 'netns', b.name);
    const setUp = (ns: Netns, dev: string, addr: string) => {
      ip('-n', ns.name, 'addr', 'add', addr, 'dev', dev);
      ip('-n', ns.name, 'link', 'set', dev, 'up');
    };
    setUp(r, toA.a.name, '10.1.0.1/24');
    setUp(r, toB.a.name, '10.2.0.1/24');
    setUp(a, toA.b.name, '10.1.0.2/24');
    setUp(b, toB.b.name, '10.2.0.2/24');
    ip('-n', b.name, 'addr', 'add', '10.9.0.1/32', 'dev', 'lo');
    ip('-n', a.name, 'route', 'add', 'default', 'via', '10.1.0.1');
    ip('-n', b.name, 'route', 'add', 'default', 'via', '10.2.0.1');
    r.run(() => writeFileSync('/proc/sys/net/ipv4/ip_forward', '1'));
    const pass: KernelProgram = loadProgram({
      type: 'XDP',
      insns: assemble('mov r0, 2\nexit'),
      name: 'd12_pass',
    });
    held.push(pass);
    const a1 = a.run(() => netDevice(toA.b.name));
    const b1 = b.run(() => netDevice(toB.b.name));
    const links: KernelLink[] = [
      a.run(() => attachXdp(pass, a1.ifindex, 'native')),
      b.run(() => attachXdp(pass, b1.ifindex, 'native')),
    ];
    held.push(...links);
    const a0 = r.run(() => netDevice(toA.a.name));
    const b0 = r.run(() => netDevice(toB.a.name));
    return { a, r, b, a1, a0, b0, b1, close, [Symbol.dispose]: close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Internet checksum of `b` (RFC 1071). */
function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An ICMP echo request frame (identifier `id`, sequence `seq`). */
export function echoRequest(o: {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  id: number;
  seq: number;
}): Uint8Array {
  const mac = (m: string) => m.split(':').map((h) => Number.parseInt(h, 16));
  const addr = (a: string) => a.split('.').map(Number);
  const payload = 32;
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([...mac(o.dstMac), ...mac(o.srcMac), 0x08, 0x00]);
  const ip4 = f.subarray(14, 34);
  ip4.set([0x45, 0, 0, 20 + 8 + payload, 0, 0, 0x40, 0, 64, 1, 0, 0, ...addr(o.src), ...addr(o.dst)]);
  const c = checksum(ip4);
  ip4[10] = c >> 8;
  ip4[11] = c & 0xff;
  const icmp = f.subarray(34);
  icmp.set([8, 0, 0, 0, o.id >> 8, o.id & 0xff, o.seq >> 8, o.seq & 0xff]);
  for (let i = 8; i < icmp.length; i++) icmp[i] = i;
  const ic = checksum(icmp);
  icmp[2] = ic >> 8;
  icmp[3] = ic & 0xff;
  return f;
}

/** True for an ICMP echo reply frame. */
export const isEchoReply = (f: Uint8Array): boolean =>
  f[12] === 0x08 && f[13] === 0 && f[23] === 1 && f[34] === 0;

/** Sends frames out of `dev` of `ns` (AF_PACKET), one by one. */
export function sendFrames(ns: Netns, dev: NetDevice, frames: readonly Uint8Array[]): void {
  ns.run(() => {
    using tx = PacketSocket.open(dev.ifindex);
    for (const f of frames) tx.send(f);
  });
}

/** UDP frames of `t` from host A's a1 to the router's a0. */
export function udpFromA(h: ThreeHosts, t: TrafficTemplate): Uint8Array[] {
  return generateTraffic({ ...t, srcMac: h.a1.mac, dstMac: h.a0.mac }).map((p) => p.data);
}

/** An AF_PACKET capture on `dev` of `ns`. */
export const capture = (ns: Netns, dev: NetDevice): PacketSocket =>
  ns.run(() => PacketSocket.open(dev.ifindex));

export { sleepMs };
