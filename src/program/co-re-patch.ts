// Patches one instruction with a resolved CO-RE relocation, as libbpf's bpf_core_patch_insn:
// `rX = imm` / `rX op= imm` get the new immediate, loads and stores the new offset (and a new
// access size when the field's size changed), lddw the new 64-bit value. Unless the relocation
// says not to, the instruction must still hold the value the compiler assumed. A failed
// relocation turns the instruction into `call 0xbad2310`, which the verifier reports only if
// it is reachable.

import type { CoreResult } from '../btf/co-re/types.js';
import { LoadError } from '../errors.js';
import { type Instruction, lddwValue } from '../isa/instruction.js';
import * as O from '../isa/opcodes.js';

/** The helper id libbpf writes into a poisoned instruction: 0xbad2310, "bad relo". */
export const CORE_POISON_HELPER = 195896080;

export interface CorePatch {
  /** One instruction, or two for a poisoned lddw (it keeps its two slots). */
  readonly out: readonly Instruction[];
  readonly poisoned: boolean;
  /** What changed, in libbpf's words: `off 4 -> 12, mem_sz 2 -> 4`, `imm 1 -> 0`, `imm64 7 -> 20`. */
  readonly detail: string;
}

const BYTES_OF_SIZE: Readonly<Record<number, number>> = {
  [O.BPF_B]: 1,
  [O.BPF_H]: 2,
  [O.BPF_W]: 4,
  [O.BPF_DW]: 8,
};
const SIZE_OF_BYTES: Readonly<Record<number, number>> = { 1: O.BPF_B, 2: O.BPF_H, 4: O.BPF_W, 8: O.BPF_DW };

/** `call 0xbad2310`, keeping the symbol and source line of the instruction it replaces, if any. */
export function poisonInstruction(i?: Instruction): Instruction {
  const out: { -readonly [K in keyof Instruction]: Instruction[K] } = {
    op: O.OP_CALL,
    dst: 0,
    src: 0,
    off: 0,
    imm: CORE_POISON_HELPER,
  };
  if (i?.symbol !== undefined) out.symbol = i.symbol;
  if (i?.source !== undefined) out.source = i.source;
  return out;
}

function poison(i: Instruction, why: string): CorePatch {
  // An lddw spans two slots; both become calls so that nothing after it moves.
  const out = i.op === O.OP_LDDW ? [poisonInstruction(i), poisonInstruction()] : [poisonInstruction(i)];
  return { out, poisoned: true, detail: why };
}

const fail = (why: string): LoadError => new LoadError('LOAD_ERROR', why);

/** Applies `r` to `i`; throws LoadError where libbpf refuses the relocation. */
export function patchInstruction(i: Instruction, r: CoreResult): CorePatch {
  if (r.poison) return poison(i, 'no matching target; instruction poisoned');
  const cls = O.cls(i.op);
  switch (cls) {
    case O.BPF_ALU:
    case O.BPF_ALU64: {
      if (O.src(i.op) !== O.BPF_K) throw fail('the instruction has a register operand, not an immediate');
      const imm = BigInt.asUintN(64, BigInt(i.imm));
      if (r.validate && imm !== r.origVal)
        throw fail(`unexpected insn value (ALU/ALU64): got ${i.imm >>> 0}, exp ${r.origVal} -> ${r.newVal}`);
      const next = Number(BigInt.asIntN(32, r.newVal));
      return { out: [{ ...i, imm: next }], poisoned: false, detail: `imm ${imm} -> ${r.newVal}` };
    }
    case O.BPF_LDX:
    case O.BPF_ST:
    case O.BPF_STX: {
      const off = BigInt.asUintN(64, BigInt(i.off));
      if (r.validate && off !== r.origVal)
        throw fail(`unexpected insn value (LDX/ST/STX): got ${i.off}, exp ${r.origVal} -> ${r.newVal}`);
      if (r.newVal > 0x7fffn) throw fail(`insn value too big (LDX/ST/STX): ${r.newVal}`);
      if (r.failMemSizeAdjust) {
        return poison(
          i,
          'accesses the field incorrectly (the field changed size and is not a pointer or unsigned integer); instruction poisoned',
        );
      }
      let op = i.op;
      let detail = `off ${off} -> ${r.newVal}`;
      if (r.newSize !== r.origSize) {
        const bytes = BYTES_OF_SIZE[O.size(i.op)];
        if (bytes !== r.origSize)
          throw fail(`unexpected mem size (LDX/ST/STX): got ${bytes}, exp ${r.origSize}`);
        const size = SIZE_OF_BYTES[r.newSize];
        if (size === undefined) throw fail(`invalid new mem size (LDX/ST/STX): ${r.newSize}`);
        op = O.mode(i.op) | size | cls;
        detail += `, mem_sz ${r.origSize} -> ${r.newSize}`;
      }
      return { out: [{ ...i, op, off: Number(r.newVal) }], poisoned: false, detail };
    }
    case O.BPF_LD: {
      if (i.op !== O.OP_LDDW || i.src !== 0 || i.off !== 0)
        throw fail('the LDIMM64 instruction has an unexpected form');
      const imm = lddwValue(i);
      if (r.validate && imm !== r.origVal)
        throw fail(`unexpected insn value (LDIMM64): got ${imm}, exp ${r.origVal} -> ${r.newVal}`);
      const v = BigInt.asUintN(64, r.newVal);
      return {
        out: [{ ...i, imm: Number(BigInt.asIntN(32, v)), hi: Number(BigInt.asIntN(32, v >> 32n)) }],
        poisoned: false,
        detail: `imm64 ${imm} -> ${v}`,
      };
    }
    default:
      throw fail(`cannot relocate instruction with opcode 0x${i.op.toString(16)}`);
  }
}
