// What one instruction does to control flow: how it ends a straight run of code (falls through,
// branches, jumps, exits) and whether it may tail-call out of the program. Where it goes is
// isa's targetOf; that the target exists is checked by subprograms.ts, reach.ts and blocks.ts.

import { assertNever } from '../errors.js';
import type { Instruction } from '../isa/instruction.js';
import type { Kind } from '../isa/kind.js';
import { helperId } from '../uapi/helpers.js';

/** bpf_tail_call's helper id (12): a call that may leave the program for another. */
export const TAIL_CALL_HELPER = helperId('tail_call')!;

/** How an instruction ends (or does not end) a straight run of code. */
export type Transfer =
  /** Falls through to the next instruction (calls return there too). */
  | 'next'
  /** Conditional jump: the next instruction or the target. */
  | 'branch'
  /** Unconditional jump (`ja`, `gotol`). */
  | 'jump'
  | 'exit';

export function transferOf(kind: Kind): Transfer {
  switch (kind.kind) {
    case 'jmp':
      return 'branch';
    case 'ja':
      return 'jump';
    case 'exit':
      return 'exit';
    case 'alu':
    case 'endian':
    case 'call':
    case 'callx':
    case 'lddw':
    case 'ldpkt':
    case 'load':
    case 'store':
    case 'atomic':
      return 'next';
    default:
      return assertNever(kind, 'instruction kind');
  }
}

/** True for `call bpf_tail_call`: on success the run continues in another program. */
export function isTailCall(i: Instruction, kind: Kind): boolean {
  return kind.kind === 'call' && kind.target === 'helper' && i.imm === TAIL_CALL_HELPER;
}
