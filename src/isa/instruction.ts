// The instruction record: a plain value {op, dst, src, off, imm}, one per instruction.
// The 16-byte lddw is one record with `hi`, the immediate of its second slot.
// Optional metadata (symbol, reference, source line) rides along and never changes encoding.
//
//  one 8-byte slot (RFC 9669 §3), little-endian host order shown:
//    +--------+----+----+----------------+--------------------------------+
//    | opcode |dst |src |  offset (s16)  |        immediate (s32)         |
//    | 8 bits | 4  | 4  |    16 bits     |           32 bits              |
//    +--------+----+----+----------------+--------------------------------+
//  (in big-endian objects the register nibbles swap: dst is the high nibble)

import { BPF_X, INSN_SIZE, OP_LDDW } from './opcodes.js';

export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  /** The text of the source line, when the object carries it (BTF line info). */
  readonly text?: string;
}

export interface Instruction {
  /** The opcode byte. */
  readonly op: number;
  /** Destination register, 0-10 (4 bits encoded). */
  readonly dst: number;
  /** Source register, 0-10, or a pseudo value for lddw and call. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate; for lddw the low word. */
  readonly imm: number;
  /** lddw only: the signed 32-bit immediate of the second slot (the high word). */
  readonly hi?: number | undefined;
  /** A symbol (function or label) that starts at this instruction. */
  readonly symbol?: string;
  /** A symbolic target, resolved by the linker: jump/call label, map or function name. */
  readonly reference?: string | undefined;
  /** Where the instruction came from, for disassembly and error messages. */
  readonly source?: SourceLine;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds an instruction, normalising fields to their encoded widths. */
export function insn(op: number, dst: number, src: number, off: number, imm: number): Instruction {
  return { op: op & 0xff, dst, src, off: (off << 16) >> 16, imm: imm | 0 };
}

/** Builds `lddw dst, value` with the given pseudo source (0 = plain 64-bit constant). */
export function lddw(dst: number, value: bigint, pseudo = 0): Instruction {
  const v = BigInt.asUintN(64, value);
  return {
    op: OP_LDDW,
    dst,
    src: pseudo,
    off: 0,
    imm: Number(BigInt.asIntN(32, v)),
    hi: Number(BigInt.asIntN(32, v >> 32n)),
  };
}

export function isWide(i: Instruction): boolean {
  return i.op === OP_LDDW;
}

/** The 64-bit immediate of an lddw as an unsigned value. */
export function lddwValue(i: Instruction): bigint {
  return (BigInt((i.hi ?? 0) >>> 0) << 32n) | BigInt(i.imm >>> 0);
}

/** Number of 8-byte slots an instruction occupies (2 for lddw). */
export function slots(i: Instruction): 1 | 2 {
  return i.op === OP_LDDW ? 2 : 1;
}

/** Encoded size in bytes of a sequence of instructions. */
export function byteLength(program: readonly Instruction[]): number {
  let n = 0;
  for (const i of program) n += slots(i) * INSN_SIZE;
  return n;
}

/** Maps slot index (the pc jumps count in) to instruction index, and back. */
export function slotTable(program: readonly Instruction[]): { slotOf: Int32Array; insnAt: Int32Array } {
  const slotOf = new Int32Array(program.length + 1);
  let s = 0;
  for (let k = 0; k < program.length; k++) {
    slotOf[k] = s;
    s += slots(program[k]!);
  }
  slotOf[program.length] = s;
  const insnAt = new Int32Array(s).fill(-1);
  for (let k = 0; k < program.length; k++) insnAt[slotOf[k]!] = k;
  return { slotOf, insnAt };
}

/** True if the source operand is a register (the X bit), for ALU and JMP classes. */
export function usesSrcReg(i: Instruction): boolean {
  return (i.op & BPF_X) !== 0;
}
