// One program through both verifiers, for the differential tests (src/kernel/verifier-diff.test.ts,
// scripts/verifier-diff.mjs): tsbpf's verdict and message, the kernel's verdict and the last
// message of its log. A kernel refusal with EFAULT whose log says "verifier bug" is the kernel's
// own failure, not a safety verdict (6.18: two bpf_loop calls, the second with a constant count
// of 0 — "No program to jit at insn N (subprog < 0)"); so is an EFAULT without a log (the
// loader then retries without func_info: "missing btf func_info"). Both are counted apart.

import { BpfError, Errno, VerifierError } from '../../src/errors.js';
import { loadKernel } from '../../src/kernel/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import { programInput, verifyProgram } from '../../src/verifier/index.js';

export type KernelVerdict = 'accepted' | 'rejected' | 'kernel-bug';

export interface DiffOutcome {
  readonly ours: 'accepted' | 'rejected';
  readonly theirs: KernelVerdict;
  /** tsbpf's message for a refusal. */
  readonly ourMessage?: string;
  /** The kernel's message (the log line before the statistics) for a refusal. */
  readonly theirMessage?: string;
  /** Instructions processed, when both accepted (`processed N insns`: how much each pruned). */
  readonly processed?: { readonly ours: number; readonly theirs: number };
}

/** EFAULT (include/uapi/asm-generic/errno-base.h). */
const EFAULT = 14;

export function kernelMessage(log: string): string {
  const stats = /^(processed \d+ insns|verification time|stack depth)/;
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !stats.test(l));
  return lines.at(-1) ?? '';
}

/**
 * True when the kernel's refusal is its own failure, not a verdict (docs/kernel-notes.md): EFAULT
 * with "verifier bug", or a load that lost its BTF — the generated BTF is good (func-btf.ts), so a
 * retry without it (the loader's fallback, whose log says "missing btf func_info") means the load
 * with it failed otherwise, in 6.18 with EFAULT and no log (bpf_loop calls with variable counts).
 */
export function kernelFailure(spec: CollectionSpec, e: VerifierError): boolean {
  const lostBtf = spec.btf !== undefined && /missing btf func_info/.test(e.log);
  return (e.errno === EFAULT && /verifier bug/.test(e.log)) || lostBtf;
}

/** What the kernel said of a program: its verdict, the message of a refusal, the count processed. */
export interface KernelOutcome {
  readonly theirs: KernelVerdict;
  readonly theirMessage?: string;
  readonly theirCount?: number;
  /** The errno of a refusal. */
  readonly theirErrno?: number;
}

/** Loads the program into the running kernel (as the calling process may: root or not). */
export function kernelOutcome(spec: CollectionSpec): KernelOutcome {
  const p = spec.programs[0]!;
  try {
    // BPF_LOG_STATS: the statistics line alone, for the count of processed instructions.
    const k = loadKernel(spec, { logLevel: 4 });
    const log = k.program(p.name).log ?? '';
    k.close();
    const count = Number(/processed (\d+) insns/.exec(log)?.[1]);
    return { theirs: 'accepted', ...(Number.isInteger(count) ? { theirCount: count } : {}) };
  } catch (e) {
    // EPERM before verifying (a program type an unprivileged load may not have): no log.
    if (e instanceof BpfError && !(e instanceof VerifierError) && e.errno === Errno.EPERM)
      return { theirs: 'rejected', theirMessage: e.message, theirErrno: e.errno };
    if (!(e instanceof VerifierError)) throw e;
    if (kernelFailure(spec, e)) return { theirs: 'kernel-bug', theirMessage: kernelMessage(e.log) };
    // A statistics-only log holds no message: the refusal is asked again with a level 1 log.
    return {
      theirs: 'rejected',
      theirMessage: kernelMessage(refusalLog(spec) ?? e.log),
      theirErrno: e.errno,
    };
  }
}

function refusalLog(spec: CollectionSpec): string | undefined {
  try {
    loadKernel(spec, { logLevel: 1 }).close();
    return undefined;
  } catch (e) {
    return e instanceof VerifierError ? e.log : undefined;
  }
}

/**
 * Both verifiers on one program: tsbpf's here, the kernel's here too unless `kernel` brings it
 * (from an unprivileged worker: test/gen/unprivileged-kernel.ts).
 */
export function diffOne(
  spec: CollectionSpec,
  options: { readonly privileged?: boolean; readonly kernel?: KernelOutcome } = {},
): DiffOutcome {
  const p = spec.programs[0]!;
  const r = verifyProgram(programInput(spec, p, { logLevel: 0, privileged: options.privileged ?? true }));
  const ours = r.verdict;
  const ourMessage = r.explanation?.message;
  const k = options.kernel ?? kernelOutcome(spec);
  const processed =
    k.theirs === 'accepted' && ours === 'accepted' && k.theirCount !== undefined
      ? { processed: { ours: r.stats.processed, theirs: k.theirCount } }
      : {};
  return {
    ours,
    theirs: k.theirs,
    ...(k.theirMessage === undefined ? {} : { theirMessage: k.theirMessage }),
    ...(ourMessage === undefined ? {} : { ourMessage }),
    ...processed,
  };
}

/** A message with its numbers replaced, to count differences by cause. */
export function cause(message: string): string {
  return message.split('\n')[0]!.replace(/\d+/g, 'N');
}

/** A batch of generated programs through both verifiers (the CI-sized differential tests). */
export interface DiffBatch {
  /** Programs tsbpf accepts and the kernel refuses (bugs), each with its seed, message and text. */
  readonly looser: string[];
  /** One line: the agreement, the kernel's own failures, where tsbpf is stricter. */
  readonly summary: string;
}

export function diffBatch(
  first: number,
  count: number,
  generate: (seed: number) => { text: string; spec: CollectionSpec },
  options: { readonly privileged?: boolean; readonly kernel?: readonly KernelOutcome[] } = {},
): DiffBatch {
  let agree = 0;
  const looser: string[] = [];
  const stricter: string[] = [];
  const kernelBugs: number[] = [];
  for (let seed = first; seed < first + count; seed++) {
    const g = generate(seed);
    const kernel = options.kernel?.[seed - first];
    const o = diffOne(g.spec, {
      privileged: options.privileged ?? true,
      ...(kernel === undefined ? {} : { kernel }),
    });
    if (o.theirs === 'kernel-bug') kernelBugs.push(seed);
    else if (o.ours === o.theirs) agree++;
    else if (o.ours === 'accepted') looser.push(`seed ${seed} (kernel: ${o.theirMessage}):\n${g.text}`);
    else stricter.push(`${seed} (${cause(o.ourMessage ?? '?')})`);
  }
  const summary = `agreement ${agree}/${count - kernelBugs.length}; kernel EFAULT on seeds ${kernelBugs.join(',') || 'none'}; tsbpf stricter on ${stricter.join(', ') || 'none'}`;
  return { looser, summary };
}
