// The kernel as the oracle of unprivileged loading. Tests run as root; a load without CAP_BPF,
// CAP_PERFMON and CAP_SYS_ADMIN needs another process (test/gen/unprivileged-worker.ts, run as
// user nobody) and the sysctl kernel.unprivileged_bpf_disabled at 0. At 2 (unprivileged BPF off,
// but root may turn it on: the default of many distributions and of this machine) it is set to 0
// for the worker's run only and back to 2 after. At 1 only a reboot turns it on: the tests skip.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bpfAvailability } from '../../src/kernel/index.js';
import type { KernelOutcome } from './verifier-diff-run.js';

const SYSCTL = '/proc/sys/kernel/unprivileged_bpf_disabled';
/** User and group nobody (Debian's 65534). */
const NOBODY = 65534;
const WORKER = fileURLToPath(new URL('./unprivileged-worker.js', import.meta.url));
/** The checkout (this file is dist/test/gen/unprivileged-kernel.js in it). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** What the worker reads of the checkout. */
const WORKER_NEEDS = ['package.json', 'dist', 'node_modules/koffi', 'node_modules/@koromix', 'test/verifier'];

/** What the worker is asked: corpus cases by name, the helper table, generated seeds. */
export interface UnprivilegedRequest {
  /** `file name` of test/verifier cases marked `mode: unprivileged`. */
  readonly cases?: readonly string[];
  /** Program types whose helpers to probe (haveHelper) among those tsbpf offers them. */
  readonly helpers?: readonly ('SOCKET_FILTER' | 'CGROUP_SKB')[];
  /** Seeds of test/gen/verifier-unprivileged.ts. */
  readonly seeds?: { readonly first: number; readonly count: number };
}

export interface UnprivilegedReply {
  /** Per case: the kernel's outcome and its log's last lines. */
  readonly cases: Record<string, KernelOutcome & { readonly log: string }>;
  /** Per program type: the ids it may call unprivileged (of those probed). */
  readonly helpers: Record<string, number[]>;
  readonly seeds: KernelOutcome[];
}

export type UnprivilegedAvailability =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

export function unprivilegedAvailability(): UnprivilegedAvailability {
  const bpf = bpfAvailability();
  if (!bpf.ok) return bpf;
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'unprivileged loads are asked by root (a worker as nobody, the sysctl)' };
  let value: string;
  try {
    value = readFileSync(SYSCTL, 'utf8').trim();
  } catch {
    return { ok: false, reason: `${SYSCTL} cannot be read` };
  }
  if (value === '1')
    return {
      ok: false,
      reason: 'kernel.unprivileged_bpf_disabled is 1: only a reboot allows unprivileged BPF',
    };
  if (value === '2') {
    // Writing the value it holds changes nothing, and shows /proc/sys is writable here.
    try {
      writeFileSync(SYSCTL, '2');
    } catch (e) {
      return { ok: false, reason: `${SYSCTL} cannot be written (${(e as Error).message})` };
    }
  }
  const probe = spawnSync(process.execPath, ['-e', ''], { uid: NOBODY, gid: NOBODY, timeout: 30_000 });
  if (probe.error !== undefined || probe.status !== 0)
    return {
      ok: false,
      reason: `node cannot run as user nobody (${probe.error?.message ?? `exit ${probe.status}`})`,
    };
  return { ok: true };
}

/** Every directory above `path` lets others through and `path` lets them read. */
function othersReach(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (dirname(p) === p) break;
  }
  return (statSync(WORKER).mode & 0o004) !== 0;
}

/**
 * The worker's path for nobody: this checkout's, when nobody can read it; else a copy of what the
 * worker needs in a temporary directory (a checkout under /root, or made with umask 077).
 */
function stageWorker(): { path: string; cleanup: () => void } {
  if (othersReach(ROOT)) return { path: WORKER, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-unprivileged-'));
  for (const p of WORKER_NEEDS) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  chmodSync(dir, 0o755);
  for (const p of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, p);
    chmodSync(full, statSync(full).isDirectory() ? 0o755 : 0o644);
  }
  return {
    path: join(dir, 'dist/test/gen/unprivileged-worker.js'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the worker as nobody, with unprivileged BPF allowed for its run. */
export function askUnprivilegedKernel(request: UnprivilegedRequest): UnprivilegedReply {
  const worker = stageWorker();
  const before = readFileSync(SYSCTL, 'utf8').trim();
  if (before === '2') writeFileSync(SYSCTL, '0');
  try {
    const r = spawnSync(process.execPath, [worker.path], {
      uid: NOBODY,
      gid: NOBODY,
      input: JSON.stringify(request),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 30 * 60_000,
    });
    if (r.error !== undefined) throw r.error;
    if (r.status !== 0)
      throw new Error(`the unprivileged worker failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout) as UnprivilegedReply;
  } finally {
    if (before === '2') writeFileSync(SYSCTL, '2');
    worker.cleanup();
  }
}
