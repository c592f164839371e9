// What one instruction does to control flow: where it may go next (fall-through, jump target,
// local call, callback address), whether it exits or may tail-call out of the program.
// The one place that turns an instruction's offset into a target slot; nothing here checks that
// the target exists (blocks.ts and subprograms.ts do, in the kernel's words).

import { assertNever } from '../errors.js';
import type { Instruction } from '../isa/instruction.js';
import type { Kind } from '../isa/kind.js';
import { BPF_PSEUDO_FUNC } from '../isa/opcodes.js';
import { helperId } from '../uapi/helpers.js';

/** bpf_tail_call's helper id (12): a call that may leave the program for another. */
export const TAIL_CALL_HELPER = helperId('tail_call')!;

/**
 * The slot a jump, local call or function-address load at `pc` names, or undefined for
 * instructions that name none. Jumps count from the next slot (RFC 9669 §4.3): `ja`/`jcc` use
 * off, `gotol` (JMP32 ja) uses imm; local calls and `lddw src=4` use imm, as the kernel's
 * add_subprog does (target = pc + imm + 1).
 */
export function targetOf(i: Instruction, kind: Kind, pc: number): number | undefined {
  switch (kind.kind) {
    case 'jmp':
      return pc + i.off + 1;
    case 'ja':
      return pc + (kind.long ? i.imm : i.off) + 1;
    case 'call':
      return kind.target === 'local' ? pc + i.imm + 1 : undefined;
    case 'lddw':
      return kind.pseudo === BPF_PSEUDO_FUNC ? pc + i.imm + 1 : undefined;
    case 'alu':
    case 'endian':
    case 'callx':
    case 'exit':
    case 'ldpkt':
    case 'load':
    case 'store':
    case 'atomic':
      return undefined;
    default:
      return assertNever(kind, 'instruction kind');
  }
}

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
