// Bytes <-> instruction records. decode() checks every instruction with classify(); the raw
// slot reader `readSlot` never throws, for tools that must show undecodable bytes too.
// Both byte orders are supported (bpfel is the default; bpfeb swaps fields and register nibbles).

import { InvalidInstructionError } from '../errors.js';
import type { Instruction } from './instruction.js';
import { classify } from './kind.js';
import { INSN_SIZE, OP_LDDW } from './opcodes.js';

export interface CodecOptions {
  /** Byte order of the object (default true: bpfel). */
  readonly littleEndian?: boolean;
  /** Reject reserved fields that are not zero (default true, as the kernel does). */
  readonly strict?: boolean;
}

export interface RawSlot {
  readonly op: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** Reads one 8-byte slot without interpreting it. */
export function readSlot(bytes: Uint8Array, slot: number, littleEndian = true): RawSlot {
  const view = new DataView(bytes.buffer, bytes.byteOffset + slot * INSN_SIZE, INSN_SIZE);
  const regs = view.getUint8(1);
  return {
    op: view.getUint8(0),
    dst: littleEndian ? regs & 0x0f : regs >> 4,
    src: littleEndian ? regs >> 4 : regs & 0x0f,
    off: view.getInt16(2, littleEndian),
    imm: view.getInt32(4, littleEndian),
  };
}

function writeSlot(view: DataView, at: number, s: RawSlot, littleEndian: boolean): void {
  view.setUint8(at, s.op);
  const dst = s.dst & 0x0f;
  const src = s.src & 0x0f;
  view.setUint8(at + 1, littleEndian ? (src << 4) | dst : (dst << 4) | src);
  view.setInt16(at + 2, s.off, littleEndian);
  view.setInt32(at + 4, s.imm, littleEndian);
}

/** Decodes a program; throws InvalidInstructionError naming the slot of the first bad instruction. */
export function decode(bytes: Uint8Array, options: CodecOptions = {}): Instruction[] {
  const le = options.littleEndian ?? true;
  const strict = options.strict ?? true;
  if (bytes.length % INSN_SIZE !== 0) {
    throw new InvalidInstructionError(`program length ${bytes.length} is not a multiple of ${INSN_SIZE}`);
  }
  const count = bytes.length / INSN_SIZE;
  const out: Instruction[] = [];
  for (let pc = 0; pc < count; pc++) {
    const s = readSlot(bytes, pc, le);
    let i: Instruction = s;
    if (s.op === OP_LDDW) {
      if (pc + 1 >= count) throw new InvalidInstructionError('lddw is missing its second slot', { pc });
      const next = readSlot(bytes, pc + 1, le);
      if (strict && (next.op !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)) {
        throw new InvalidInstructionError('second slot of lddw has reserved fields set', { pc: pc + 1 });
      }
      i = { ...s, hi: next.imm };
    }
    classify(i, { strict, pc });
    out.push(i);
    if (s.op === OP_LDDW) pc++;
  }
  return out;
}

/** Encodes instructions to bytes. Fields are written as given (no validation). */
export function encode(program: readonly Instruction[], options: CodecOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  let slotsTotal = 0;
  for (const i of program) slotsTotal += i.op === OP_LDDW ? 2 : 1;
  const out = new Uint8Array(slotsTotal * INSN_SIZE);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const i of program) {
    writeSlot(view, at, i, le);
    at += INSN_SIZE;
    if (i.op === OP_LDDW) {
      writeSlot(view, at, { op: 0, dst: 0, src: 0, off: 0, imm: i.hi ?? 0 }, le);
      at += INSN_SIZE;
    }
  }
  return out;
}
