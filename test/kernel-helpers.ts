// Why the running kernel cannot load an object: one of its programs calls a helper the kernel does
// not offer to the program's type. Kernels differ here: the Linux 6.18.44 of some machines of this
// kind refuses bpf_xdp_adjust_meta to every program type ("program of this type cannot use
// helper bpf_xdp_adjust_meta#54"), where others accept it. Kernel tests skip such objects and say
// which helper was missing; the VM side of the same tests still runs. Asked with haveHelper (one
// small probe load per type and helper, cached).

import { readFileSync } from 'node:fs';
import { loadCollectionSpec } from '../src/elf/index.js';
import { classify } from '../src/isa/index.js';
import { haveHelper } from '../src/kernel/index.js';
import type { CollectionSpec } from '../src/program/index.js';

/** The first helper a program of `spec` calls that the kernel refuses to its type (its reason), or undefined. */
export function missingHelper(spec: Pick<CollectionSpec, 'programs'>): string | undefined {
  for (const p of spec.programs)
    for (const i of p.instructions) {
      const k = classify(i);
      if (k.kind !== 'call' || k.target !== 'helper') continue;
      const a = haveHelper(p.type, i.imm);
      if (!a.ok) return `the running kernel lacks it: ${a.reason}`;
    }
  return undefined;
}

/** missingHelper of examples/`object` (a path under examples/). */
export function exampleMissingHelper(object: string): string | undefined {
  const bytes = readFileSync(new URL(`../../examples/${object}`, import.meta.url));
  return missingHelper(loadCollectionSpec(new Uint8Array(bytes)));
}
