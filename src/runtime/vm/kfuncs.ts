// Binds a program's kfunc calls (BPF_PSEUDO_KFUNC_CALL with the callee's name in `reference`, as
// the ELF loader leaves them) to the VM's implementations: each becomes a helper call with an id
// past the kernel's helper ids (KFUNC_HELPER_BASE + its index in RUNTIME_KFUNCS), so every engine
// runs it through its helper table. A kfunc the VM lacks is refused at load, by name.

import { NotSupportedError } from '../../errors.js';
import { type Instruction, op as O } from '../../isa/index.js';
import type { ProgramSpec } from '../../program/index.js';
import { RUNTIME_KFUNCS, type RuntimeHelperFn } from '../helpers/index.js';

/** Helper ids of bound kfuncs start here (far past __BPF_FUNC_MAX_ID). */
export const KFUNC_HELPER_BASE = 0x10000;

const ORDER = [...RUNTIME_KFUNCS.keys()];

/** The kfuncs as helper-table entries (id -> implementation). */
export function kfuncHelpers(): Map<number, RuntimeHelperFn> {
  return new Map(ORDER.map((name, k) => [KFUNC_HELPER_BASE + k, RUNTIME_KFUNCS.get(name)!]));
}

/** `p` with its named kfunc calls bound to helper ids, or a NotSupportedError naming the first missing kfunc. */
export function bindKfuncs(p: ProgramSpec): ProgramSpec {
  let out: Instruction[] | undefined;
  p.instructions.forEach((i, k) => {
    if (i.op !== O.OP_CALL || i.src !== O.BPF_PSEUDO_KFUNC_CALL || i.reference === undefined) return;
    const index = ORDER.indexOf(i.reference);
    if (index < 0) throw new NotSupportedError(`kfunc ${i.reference}`, `program ${p.name}, instruction ${k}`);
    out ??= [...p.instructions];
    const { reference: _, ...rest } = i;
    out[k] = { ...rest, src: 0, off: 0, imm: KFUNC_HELPER_BASE + index };
  });
  return out === undefined ? p : { ...p, instructions: out };
}
