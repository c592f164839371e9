// One program through both verifiers, for the differential tests (src/kernel/verifier-diff.test.ts,
// scripts/verifier-diff.mjs): tsbpf's verdict and message, the kernel's verdict and the last
// message of its log. A kernel refusal with EFAULT whose log says "verifier bug" is the kernel's
// own failure, not a safety verdict (6.18: two bpf_loop calls, the second with a constant count
// of 0 — "No program to jit at insn N (subprog < 0)"); so is an EFAULT without a log (the
// loader then retries without func_info: "missing btf func_info"). Both are counted apart.

import { VerifierError } from '../../src/errors.js';
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
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('processed '));
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

export function diffOne(spec: CollectionSpec): DiffOutcome {
  const p = spec.programs[0]!;
  const r = verifyProgram(programInput(spec, p, { logLevel: 0 }));
  const ours = r.verdict;
  const ourMessage = r.explanation?.message;
  try {
    // BPF_LOG_STATS: the statistics line alone, for the count of processed instructions.
    const k = loadKernel(spec, { logLevel: 4 });
    const log = k.program(p.name).log ?? '';
    k.close();
    const theirCount = Number(/processed (\d+) insns/.exec(log)?.[1]);
    const processed =
      ours === 'accepted' && Number.isInteger(theirCount)
        ? { processed: { ours: r.stats.processed, theirs: theirCount } }
        : {};
    return { ours, theirs: 'accepted', ...(ourMessage === undefined ? {} : { ourMessage }), ...processed };
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    const theirs: KernelVerdict = kernelFailure(spec, e) ? 'kernel-bug' : 'rejected';
    return {
      ours,
      theirs,
      theirMessage: kernelMessage(e.log),
      ...(ourMessage === undefined ? {} : { ourMessage }),
    };
  }
}

/** A message with its numbers replaced, to count differences by cause. */
export function cause(message: string): string {
  return message.split('\n')[0]!.replace(/\d+/g, 'N');
}
