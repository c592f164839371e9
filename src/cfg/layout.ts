// The slot view of a program that every CFG pass reads: each instruction's kind, slot and
// target, and which slots are the second half of an lddw. Decoding errors surface here as
// InvalidInstructionError naming the slot (classify's words).

import { assertNever } from '../errors.js';
import { type Instruction, slots as slotsOf } from '../isa/instruction.js';
import { classify, type Kind } from '../isa/kind.js';
import { OP_CALL, OP_LDDW } from '../isa/opcodes.js';
import { targetOf } from '../isa/target.js';
import { rejected } from './reject.js';

export interface Layout {
  /** The instructions, as copies of one object shape (sameShape) without symbol and source. */
  readonly insns: readonly Instruction[];
  /** Their kinds, of one object shape too (sameKindShape). */
  readonly kinds: readonly Kind[];
  /** Slot of each instruction. */
  readonly slotOf: readonly number[];
  /** Instruction index at each slot, -1 for an lddw's second slot. */
  readonly insnAt: readonly number[];
  /** The slot each instruction names (jump, local call, callback), or undefined. */
  readonly targets: readonly (number | undefined)[];
  readonly slots: number;
}

export function layout(insns: readonly Instruction[]): Layout {
  if (insns.length === 0) throw rejected(undefined, 'empty program');
  const n = insns.length;
  const kinds = new Array<Kind>(n);
  const slotOf = new Array<number>(n);
  const insnAt: number[] = [];
  const targets = new Array<number | undefined>(n);
  // One options object for every classify call (only its pc changes), not one per instruction.
  const at = { pc: 0 };
  let pc = 0;
  // Plain loops, not callbacks, in the passes every load runs: V8 compiles a hot loop while it
  // runs (on-stack replacement); a callback stays interpreted until it has been called enough.
  const uniform = new Array<Instruction>(n);
  for (let k = 0; k < n; k++) {
    const i = sameShape(insns[k]!);
    uniform[k] = i;
    at.pc = pc;
    const kind = sameKindShape(classify(i, at));
    kinds[k] = kind;
    slotOf[k] = pc;
    targets[k] = targetOf(i, kind, pc);
    insnAt.push(k);
    if (slotsOf(i) === 2) {
      insnAt.push(-1);
      pc += 2;
    } else pc++;
  }
  return { insns: uniform, kinds, slotOf, insnAt, targets, slots: pc };
}

/**
 * The instruction as the passes read it: a copy with the fields they read, every one present, in
 * one order (`hi` and `reference` only where they mean something: lddw, and calls by name;
 * `symbol` and `source` are for listings, which read the program itself). Instructions come from
 * the decoder, the assembler, the linker and relocations, each adding optional fields its own
 * way, and kinds differ in fields by kind: as many object shapes, which make the passes that read
 * every instruction (the CFG, the verifier, the JIT) megamorphic — slower (0.71-0.82 of the
 * verifier's time with these and its other objects made one shape each,
 * scripts/verifier-ab.mjs), and deoptimised whenever a program brings a shape not met before.
 */
function sameShape(i: Instruction): Instruction {
  const op = i.op;
  const lddw = op === OP_LDDW;
  return {
    op,
    dst: i.dst,
    src: i.src,
    off: i.off,
    imm: i.imm,
    hi: lddw ? i.hi : undefined,
    reference: lddw || op === OP_CALL ? i.reference : undefined,
  };
}

/** A kind with every field of every kind, those not its own undefined. */
type AnyKind = {
  -readonly [F in Kind extends infer K ? (K extends Kind ? keyof K : never) : never]: unknown;
};

/**
 * The kind with the fields of every other kind too (undefined): one shape for all (sameShape).
 * Each case reads the fields of one kind only, so its reads meet one shape or two.
 */
function sameKindShape(k: Kind): Kind {
  const u: AnyKind = {
    kind: k.kind,
    alu64: undefined,
    op: undefined,
    reg: undefined,
    ext: undefined,
    order: undefined,
    bits: undefined,
    jmp32: undefined,
    cond: undefined,
    long: undefined,
    target: undefined,
    pseudo: undefined,
    indirect: undefined,
    bytes: undefined,
    signed: undefined,
    fetch: undefined,
  };
  switch (k.kind) {
    case 'alu':
      u.alu64 = k.alu64;
      u.op = k.op;
      u.reg = k.reg;
      u.ext = k.ext;
      break;
    case 'endian':
      u.order = k.order;
      u.bits = k.bits;
      break;
    case 'jmp':
      u.jmp32 = k.jmp32;
      u.cond = k.cond;
      u.reg = k.reg;
      break;
    case 'ja':
      u.long = k.long;
      break;
    case 'call':
      u.target = k.target;
      break;
    case 'lddw':
      u.pseudo = k.pseudo;
      break;
    case 'ldpkt':
      u.indirect = k.indirect;
      u.bytes = k.bytes;
      break;
    case 'load':
      u.bytes = k.bytes;
      u.signed = k.signed;
      break;
    case 'store':
      u.bytes = k.bytes;
      u.reg = k.reg;
      break;
    case 'atomic':
      u.op = k.op;
      u.fetch = k.fetch;
      u.bytes = k.bytes;
      break;
    case 'callx':
    case 'exit':
      break;
    default:
      assertNever(k, 'instruction kind');
  }
  return u as Kind;
}
