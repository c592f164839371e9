// Set-up shared by the kernel data-path tests: why a test must skip (bpf() refused, no network
// namespaces), the `tsbpfx` prefix of their namespaces, test frames and sending them into a
// namespace's device, and a synchronous wait for what the kernel does in softirq after a send.

import type { Netns } from '../../src/kernel/netns.js';
import { PacketSocket } from '../../src/kernel/packet-socket.js';
import { netnsSkip } from '../netns.js';
import { UNTIL_MS } from '../wait.js';

/** The prefix every namespace and interface of these tests carries. */
export const PREFIX = 'tsbpfx';
/** IEEE 802 local experimental ethertype 1: our test frames, and nothing else on the wire. */
export const TEST_ETHERTYPE = 0x88b5;

/** A reason to skip kernel data-path tests, or undefined when they can run. */
export function kernelNetSkip(): string | undefined {
  return netnsSkip(PREFIX);
}

/** A test frame: broadcast-free unicast MACs, our ethertype, `n` in the first payload byte. */
export function testFrame(n: number, len = 64, ethertype = TEST_ETHERTYPE): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0xaa, 0x01, 0x02, 0, 0, 0, 0xbb, 0x02, ethertype >> 8, ethertype & 0xff]);
  f[14] = n;
  for (let i = 15; i < len; i++) f[i] = (i * 7 + n) & 0xff;
  return f;
}

/** Sends test frames 0..n-1 out of device `ifindex` of namespace `ns` (they arrive at its peer). */
export function sendTestFrames(ns: Netns, ifindex: number, n: number): void {
  ns.run(() => {
    using tx = PacketSocket.open(ifindex);
    for (let k = 0; k < n; k++) tx.send(testFrame(k));
  });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (the kernel's softirq work goes on meanwhile). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Polls `probe` every 5 ms until it returns true or `timeoutMs` passes (test/wait's generous bound:
 * frames handed to ksoftirqd on a loaded machine can take seconds); returns the last answer.
 */
export function waitFor(probe: () => boolean, timeoutMs = UNTIL_MS): boolean {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    sleepMs(5);
  }
}

/**
 * The frames `sock` received: waits (up to UNTIL_MS) until `expected` have come — frames the
 * kernel forwards in softirq reach a capture late when ksoftirqd runs them on a loaded machine —
 * then takes whatever else comes within `quietMs` of silence, so that extra frames still show.
 */
export function captureAll(sock: PacketSocket, expected: number, quietMs = 100): Uint8Array[] {
  const out: Uint8Array[] = [];
  const start = Date.now();
  while (out.length < expected && Date.now() - start < UNTIL_MS)
    out.push(...sock.receive(expected - out.length, quietMs));
  out.push(...sock.receive(Number.MAX_SAFE_INTEGER, quietMs));
  return out;
}
