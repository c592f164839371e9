// The hint for a bpf(2) EPERM: which capabilities this process lacks, read from its effective set
// (/proc/self/status CapEff). The kernel asks CAP_BPF to load programs and create maps,
// CAP_NET_ADMIN as well for network program types (XDP, TC, sk_*: is_net_admin_prog_type in
// kernel/bpf/syscall.c), CAP_PERFMON for pointer arithmetic and tracing; CAP_SYS_ADMIN stands in
// for all of them.

import { readFileSync } from 'node:fs';
import { BpfError, Errno } from '../index.js';

const CAPS = [
  { bit: 39, name: 'CAP_BPF', why: 'to load programs and create maps' },
  { bit: 12, name: 'CAP_NET_ADMIN', why: 'for XDP, TC and socket program types' },
  { bit: 38, name: 'CAP_PERFMON', why: 'for pointer arithmetic and tracing helpers' },
];
const CAP_SYS_ADMIN = 21;

/** The capabilities of CAPS missing from this process, or undefined when they cannot be read. */
export function missingCapabilities(status?: string): { name: string; why: string }[] | undefined {
  let text = status;
  try {
    text ??= readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  if (m === null) return undefined;
  const eff = BigInt(`0x${m[1]}`);
  const has = (bit: number) => ((eff >> BigInt(bit)) & 1n) === 1n;
  if (has(CAP_SYS_ADMIN)) return [];
  return CAPS.filter((c) => !has(c.bit));
}

/** A hint to add to an error, or undefined when it has none. */
export function permissionHint(e: unknown, status?: string): string | undefined {
  if (!(e instanceof BpfError) || e.errno !== Errno.EPERM) return undefined;
  const missing = missingCapabilities(status);
  const what =
    missing === undefined || missing.length === 0
      ? 'the kernel backend needs CAP_BPF, and CAP_NET_ADMIN for XDP and TC programs (or root)'
      : `this process lacks ${missing.map((c) => `${c.name} (${c.why})`).join(', ')}`;
  return `${what}; run as root or grant them (setcap, capsh), or use --backend vm`;
}
