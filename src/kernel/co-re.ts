// CO-RE for the kernel backend: the running kernel's BTF (/sys/kernel/btf/vmlinux, read and parsed
// once per process, only when a spec has CO-RE relocations) as the default target, the relocation
// pass loadKernel runs before creating anything, and a clearer error when the verifier trips
// over a poisoned instruction. The relocation itself is program/'s applyCoreRelocations.

import { readFileSync } from 'node:fs';
import { parseBtf } from '../btf/parse.js';
import type { Btf } from '../btf/types.js';
import { NotSupportedError, VerifierError } from '../errors.js';
import {
  applyCoreRelocations,
  CORE_POISON_HELPER,
  type CollectionSpec,
  type CoreRelocated,
  type CoreRelocationReport,
  hasCoreRelocations,
} from '../program/index.js';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

let vmlinux: Btf | undefined;

/** The running kernel's BTF; NotSupportedError if the kernel exposes none. */
export function kernelBtf(): Btf {
  if (vmlinux === undefined) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(VMLINUX_BTF));
    } catch (e) {
      throw new NotSupportedError(
        'CO-RE relocations without kernel BTF',
        `${VMLINUX_BTF}: ${(e as Error).message}; pass targetBtf`,
      );
    }
    vmlinux = parseBtf(bytes, VMLINUX_BTF);
  }
  return vmlinux;
}

/** Applies the spec's CO-RE relocations against `target` (default: the kernel's BTF); notes name poisoned ones. */
export function relocateForKernel(
  spec: CollectionSpec,
  target: Btf | undefined,
): CoreRelocated & { readonly notes: readonly string[] } {
  if (!hasCoreRelocations(spec)) return { spec, report: [], poisoned: [], notes: [] };
  const r = applyCoreRelocations(spec, target ?? kernelBtf());
  return { ...r, notes: r.poisoned.map(describePoison) };
}

function describePoison(r: CoreRelocationReport): string {
  return `program ${r.program}: CO-RE relocation #${r.index} ${r.local} at insn ${r.insnOff}: ${r.detail}`;
}

/** Runs `load`; a verifier refusal that reached a poisoned instruction gets the failed relocations in its message. */
export function explainingPoison<T>(
  program: string,
  poisoned: readonly CoreRelocationReport[],
  load: () => T,
): T {
  try {
    return load();
  } catch (e) {
    const mine = poisoned.filter((r) => r.program === program);
    if (!(e instanceof VerifierError) || mine.length === 0 || !e.log.includes(`${CORE_POISON_HELPER}`))
      throw e;
    throw new VerifierError(
      `${e.message} (a failed CO-RE relocation was reached: ${mine.map(describePoison).join('; ')})`,
      e.log,
      e.pc,
    );
  }
}
