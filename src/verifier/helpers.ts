// Verifier pass: helper calls. An id the kernel does not know is refused in its words ("invalid
// func unknown#N"), a helper the runtime does not implement is NotSupportedError, and a helper
// the program type may not call is refused as the kernel's check_helper_call does ("program of
// this type cannot use helper bpf_x#N"). Argument types are not checked (no register states).

import { type Cfg, rejected } from '../cfg/index.js';
import { NotSupportedError } from '../errors.js';
import { classify, type Instruction, slots } from '../isa/index.js';
import { CORE_POISON_HELPER } from '../program/co-re-patch.js';
import { HELPER_PROTOS } from '../uapi/helper-protos.js';
import { BPF_FUNC_MAX_ID, helperName } from '../uapi/helpers.js';
import type { ProgTypeName } from '../uapi/prog-types.js';

/** The helper ids a runtime implements (the VM's helper table, for one). */
export interface HelperSet {
  has(id: number): boolean;
}

export function checkHelpers(
  name: string,
  type: ProgTypeName,
  program: readonly Instruction[],
  implemented: HelperSet,
  cfg: Cfg,
): void {
  let pc = 0;
  for (const i of program) {
    const here = pc;
    pc += slots(i);
    const k = classify(i, { pc: here });
    if (k.kind !== 'call' || k.target !== 'helper') continue;
    // A failed CO-RE relocation (libbpf's poison): fine where the program never goes; the run
    // that reaches it fails (the kernel reports it only on a path it walks).
    if (i.imm === CORE_POISON_HELPER) continue;
    // Unreachable code is refused by the structure pass unless allowed; then it calls nothing.
    if (!cfg.blocks[cfg.blockOf[here]!]!.reachable) continue;
    if (i.imm <= 0 || i.imm >= BPF_FUNC_MAX_ID) throw rejected(here, `invalid func unknown#${i.imm}`);
    if (!implemented.has(i.imm))
      throw new NotSupportedError(`helper ${helperName(i.imm)} (#${i.imm})`, `program '${name}'`);
    const types = HELPER_PROTOS.get(i.imm)?.progTypes;
    if (types !== undefined && !types.includes(type)) {
      throw rejected(here, `program of this type cannot use helper ${helperName(i.imm)}#${i.imm}`, type);
    }
  }
}
