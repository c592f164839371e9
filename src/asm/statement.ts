// What a parser makes of one line: an instruction whose label operand (if any) is not yet
// resolved. assemble.ts turns label names into slot offsets once every label is known.

import type { Instruction, Mutable } from '../isa/index.js';

export interface LabelRef {
  readonly name: string;
  readonly column: number;
  /** Where the resolved offset goes: `off` for jumps, `imm` for gotol and local calls. */
  readonly field: 'off' | 'imm';
  /** A local call: an unknown name becomes a `reference` for the linker instead of an error. */
  readonly call: boolean;
}

export interface Statement {
  readonly insn: Mutable<Instruction>;
  readonly label?: LabelRef;
}

export function stmt(op: number, dst: number, src: number, off: number, imm: number): Statement {
  return { insn: { op: op & 0xff, dst, src, off, imm } };
}
