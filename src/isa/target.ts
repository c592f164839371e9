// The slot an instruction names: a jump's target, a local call's callee, a function address's
// function. One formula for every pass (CFG, linker, predecoder): targets count in 8-byte slots
// from the next slot (RFC 9669 §4.3; the kernel's add_subprog: pc + imm + 1).

import { assertNever } from '../errors.js';
import type { Instruction } from './instruction.js';
import type { Kind } from './kind.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, OP_CALL, OP_LDDW } from './opcodes.js';

/**
 * The slot a jump, local call or function-address lddw at `pc` names, or undefined for
 * instructions that name none: `ja`/`jcc` use off, `gotol` (JMP32 ja) uses imm, local calls
 * and `lddw src=4` use imm. Nothing here checks that the slot exists.
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

/** True for the instructions that name a function (a subprogram): `call` src=1 and `lddw` src=4. */
export function namesFunction(i: Instruction): boolean {
  return (i.op === OP_CALL && i.src === BPF_PSEUDO_CALL) || (i.op === OP_LDDW && i.src === BPF_PSEUDO_FUNC);
}
