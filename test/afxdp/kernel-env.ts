// Set-up shared by the kernel data-path tests: why a test must skip (bpf() refused, no network
// namespaces), a namespace with one veth pair under the `tsbpfx` prefix, test frames, and a
// synchronous wait for what the kernel does in softirq after a send returns.

import { NotSupportedError } from '../../src/errors.js';
import { bpfAvailability } from '../../src/kernel/available.js';
import { Netns } from '../../src/kernel/netns.js';

/** The prefix every namespace and interface of these tests carries. */
export const PREFIX = 'tsbpfx';
/** IEEE 802 local experimental ethertype 1: our test frames, and nothing else on the wire. */
export const TEST_ETHERTYPE = 0x88b5;

/** A reason to skip kernel data-path tests, or undefined when they can run. */
export function kernelNetSkip(): string | undefined {
  const bpf = bpfAvailability();
  if (!bpf.ok) return bpf.reason;
  try {
    Netns.create(PREFIX).close();
    return undefined;
  } catch (e) {
    if (e instanceof NotSupportedError) return e.message;
    throw e;
  }
}

/** A test frame: broadcast-free unicast MACs, our ethertype, `n` in the first payload byte. */
export function testFrame(n: number, len = 64, ethertype = TEST_ETHERTYPE): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0xaa, 0x01, 0x02, 0, 0, 0, 0xbb, 0x02, ethertype >> 8, ethertype & 0xff]);
  f[14] = n;
  for (let i = 15; i < len; i++) f[i] = (i * 7 + n) & 0xff;
  return f;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (the kernel's softirq work goes on meanwhile). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Polls `probe` every 5 ms until it returns true or `timeoutMs` passes; returns the last answer. */
export function waitFor(probe: () => boolean, timeoutMs = 2000): boolean {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > end) return false;
    sleepMs(5);
  }
}
