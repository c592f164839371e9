// The slot view of a program that every CFG pass reads: each instruction's kind, slot and
// target, and which slots are the second half of an lddw. Decoding errors surface here as
// InvalidInstructionError naming the slot (classify's words).

import { type Instruction, slots as slotsOf } from '../isa/instruction.js';
import { classify, type Kind } from '../isa/kind.js';
import { targetOf } from '../isa/target.js';
import { rejected } from './reject.js';

export interface Layout {
  /** The instructions, as copies of one object shape (sameShape). */
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
 * The instruction as the passes read it: a copy with every field present, in one order.
 * Instructions come from the decoder, the assembler, the linker and relocations, each adding
 * optional fields its own way, and kinds differ in fields by kind: as many object shapes, which
 * make the passes that read every instruction (the CFG, the verifier, the JIT) megamorphic —
 * slower (0.73-0.88 of the verifier's time with both made one shape, scripts/verifier-ab.mjs),
 * and deoptimised whenever a program brings a shape not met before.
 */
function sameShape(i: Instruction): Instruction {
  return {
    op: i.op,
    dst: i.dst,
    src: i.src,
    off: i.off,
    imm: i.imm,
    hi: i.hi,
    symbol: i.symbol,
    reference: i.reference,
    source: i.source,
  };
}

/** Every field of any Kind, undefined: what each kind's copy starts from. */
const NO_KIND_FIELDS = {
  kind: undefined,
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

/** The kind with the fields of every other kind too (undefined): one shape for all (sameShape). */
const sameKindShape = (k: Kind): Kind => ({ ...NO_KIND_FIELDS, ...k }) as Kind;
