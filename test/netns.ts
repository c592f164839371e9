// Why a test that needs the kernel's network stack must skip: bpf() refused, or no network
// namespace can be made (no `ip`, or `ip netns add` not permitted). The namespaces themselves
// are src/kernel/netns.ts's Netns: uniquely named from the test's prefix, with veth pairs, and
// deleted with their veths on close (`using`) and, for any left open by a failing test, at exit.

import { NotSupportedError } from '../src/errors.js';
import { bpfAvailability } from '../src/kernel/available.js';
import { Netns } from '../src/kernel/netns.js';

/** A reason to skip tests making namespaces named `prefix`…, or undefined when they can run. */
export function netnsSkip(prefix: string): string | undefined {
  const bpf = bpfAvailability();
  if (!bpf.ok) return bpf.reason;
  try {
    Netns.create(prefix).close();
    return undefined;
  } catch (e) {
    // Netns.create says NotSupported where namespaces are refused; anything else is a bug to see.
    if (e instanceof NotSupportedError) return e.message;
    throw e;
  }
}
