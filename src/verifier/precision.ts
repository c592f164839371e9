// Which scalar registers must be compared exactly at a prune point — a static stand-in for the
// kernel's precision tracking (kernel/bpf/verifier.c: mark_chain_precision, backtrack_insn,
// regsafe's `if (!rold->precise) return true`). The kernel marks a scalar precise when its value
// decides safety (pointer arithmetic, a branch its range decides, a helper's size argument, a
// callback's return value) and walks the marks back through the instructions it came from. Here
// the same backward flow is computed once over the CFG, for every path at once: a register is
// "wanted" at a slot when some path from there passes its value (through movs and ALU) to an
// instruction whose safety check may read it. The demands are taken wider than the kernel's where
// the types are not known statically (every add/sub of two registers may be pointer arithmetic,
// every conditional jump may be decided by ranges, every stored register may be a spill filled
// later), so the result marks at least what the kernel marks: pruning stays sound, and a scalar
// that only flows into a return value or a counter is compared as "any scalar".
// Stack slots and caller frames keep exact comparison (see prune.ts).
//
// A second, weaker demand: a register stored into the stack other than as a spill (a store
// through r10 that does not start a slot) leaves bytes that are zero when it is a known zero and
// misc otherwise (check_stack_write_fixed_off), so only whether it is zero matters. The kernel
// marks it precise only when it is zero (mark_chain_precision on register_is_null), so an old
// state with a non-zero (imprecise) value there covers any current value: misc bytes cover zero
// ones. Such a register is "wanted if zero" (bits 16-26): compared only when the old one's low
// 32 bits are a known 0 (a 64-bit zero is one; the wider test only compares more often).
// The demand passes through a register copy unchanged, 32-bit too: `w6 = w2` makes r6 zero
// exactly where r2's low half is, and the kernel's backtracking marks r2 precise only then. Any
// other instruction that writes the register makes it a full demand on what the instruction reads.

import type { Cfg } from '../cfg/index.js';
import { slotArrays } from '../cfg/slot-arrays.js';
import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { HELPER_PROTOS, type HelperArgKind, type HelperProto } from '../uapi/helper-protos.js';
import { CLOBBERED, defs, solveBackward } from './liveness.js';

const bit = (r: number): number => 1 << r;
const ARGS = 0b111110; // r1-r5
const REGS = 0x7ff;
/** Where the wanted-if-zero registers sit in a mask. */
export const ZERO_SHIFT = 16;

/** A store of a register into the stack that is not a spill: bytes that are zero or misc. */
function byteStore(i: Instruction, k: Kind): boolean {
  // A privileged scalar store at a slot's start is a spill of any size (stack-slots.ts).
  return k.kind === 'store' && k.reg && i.dst === 10 && i.off % 8 !== 0;
}

/**
 * Helper argument kinds whose scalar value the call's checks read (calls.ts): a size, an
 * allocation size, and a pointer that may be a NULL scalar. The kernel marks the first two
 * precise (check_mem_size_reg, ARG_CONST_ALLOC_SIZE_OR_ZERO); an ARG_ANYTHING scalar it does not,
 * and a pointer argument is compared whole whatever its precision (prune.ts).
 */
const VALUE_KINDS: ReadonlySet<HelperArgKind> = new Set<HelperArgKind>([
  'size',
  'size-or-zero',
  'alloc-size-or-zero',
  'mem-or-null',
  'stack-or-null',
]);
/** bpf_loop: whether its count may be 0 decides whether the callback is walked (calls.ts). */
const BPF_FUNC_LOOP = 181;

/** The arguments of a helper call whose values the call's checks read. */
function valueArgsOf(proto: HelperProto, id: number): number {
  let m = id === BPF_FUNC_LOOP ? bit(1) : 0;
  // bpf_ringbuf_reserve's size (ARG_ANYTHING in helper-protos) is the record's size: a constant.
  if (proto.ret === 'ringbuf-mem-or-null') m |= bit(2);
  proto.args.forEach((kind, k) => {
    if (typeof kind === 'string' && VALUE_KINDS.has(kind)) m |= bit(k + 1);
  });
  return m;
}

/** valueArgsOf by helper id, worked out once. */
const VALUE_ARGS: ReadonlyMap<number, number> = new Map(
  [...HELPER_PROTOS].map(([id, proto]) => [id, valueArgsOf(proto, id)]),
);

/**
 * Both demands before `i` (full in bits 0-10, if-zero in bits 16-26) from those after it.
 * `returnWanted`: at an exit, r0 reaches a check (see wantedBefore); `offStack`: `i` is a store that cannot reach the stack; `callee`: for a bpf-to-bpf call, the
 * full demands at its callee's entry.
 */
function demandsBefore(
  i: Instruction,
  k: Kind,
  out: number,
  returnWanted: boolean,
  offStack: boolean,
  callee: number,
): number {
  const full = out & REGS;
  const zero = (out >>> ZERO_SHIFT) & REGS;
  let fullIn: number;
  let zeroIn: number;
  if (k.kind === 'alu' && k.op === 'mov' && k.reg && k.ext === undefined) {
    fullIn = wantedBefore(i, k, full, returnWanted, false);
    zeroIn = (zero & ~bit(i.dst)) | ((zero >> i.dst) & 1 ? bit(i.src) : 0);
  } else if (byteStore(i, k)) {
    fullIn = full;
    zeroIn = zero | bit(i.src);
  } else {
    // A legacy packet load writes r0-r5 (liveness counts none written, as the kernel's).
    const def = k.kind === 'exit' ? REGS : k.kind === 'ldpkt' ? CLOBBERED : defs(i, k);
    fullIn = wantedBefore(i, k, full | (zero & def), returnWanted, offStack, callee);
    zeroIn = zero & ~def;
  }
  return fullIn | ((zeroIn & ~fullIn) << ZERO_SHIFT);
}

/**
 * The wanted registers before `i`, from those wanted after it. `returnWanted`: at an exit, r0
 * reaches a check; `callee`: for a bpf-to-bpf call, the full demands at its callee's entry.
 */
function wantedBefore(
  i: Instruction,
  k: Kind,
  out: number,
  returnWanted: boolean,
  offStack: boolean,
  callee = ARGS,
): number {
  const dst = bit(i.dst);
  switch (k.kind) {
    case 'alu':
      if (k.op === 'mov' || k.op === 'movsx') {
        const wanted = (out & dst) !== 0;
        return (out & ~dst) | (wanted && k.reg ? bit(i.src) : 0);
      }
      if (!k.reg) return out;
      // ptr ± scalar and scalar + ptr check the scalar (adjust_ptr_min_max_vals): either side.
      // Not in 32 bits: there a pointer operand is refused, or (ptr - ptr) gives an unknown scalar.
      if ((k.op === 'add' || k.op === 'sub') && k.alu64) return out | dst | bit(i.src);
      return (out & dst) !== 0 ? out | bit(i.src) : out;
    case 'endian':
      return out;
    case 'lddw':
    case 'load':
      return out & ~dst;
    case 'store':
      // A stored register may be a spill that a later fill gives back (but see byteStore); not
      // where the stack pointers are followed and the base is none (packet, map value, context).
      return k.reg && !offStack ? out | bit(i.src) : out;
    case 'atomic': {
      const cmp = k.op === 'cmpxchg';
      const fetched = k.fetch ? bit(cmp ? 0 : i.src) : 0;
      return (out & ~fetched) | bit(i.src) | (cmp ? bit(0) : 0);
    }
    case 'jmp':
      // A branch whose outcome the ranges decide needs its operands exact (check_cond_jmp_op).
      return out | dst | (k.reg ? bit(i.src) : 0);
    case 'ja':
      return out;
    case 'exit':
      // A subprogram's or callback's r0 reaches its caller's checks; the main program's r0 only
      // where its type's return values are checked (cgroup skb: calls.ts returnRange).
      return returnWanted ? bit(0) : 0;
    case 'call': {
      // A bpf-to-bpf call wants the arguments its callee's entry wants (backtracking goes on
      // into the callee's frame); a helper its value arguments; a kfunc all five.
      if (k.target === 'local') return (out & ~CLOBBERED) | (callee & ARGS);
      const args = k.target === 'helper' ? VALUE_ARGS.get(i.imm) : undefined;
      return (out & ~CLOBBERED) | (args ?? ARGS);
    }
    case 'callx':
      return (out & ~CLOBBERED) | ARGS | dst;
    case 'ldpkt':
      return (out & ~CLOBBERED) | bit(6) | (k.indirect ? bit(i.src) : 0);
    default:
      return assertNever(k, 'instruction kind');
  }
}

/** The demands before a conditional jump from those after it when its comparison decided nothing. */
function undecidedBefore(i: Instruction, k: Kind, out: number): number {
  const full = out & REGS;
  const zero = (out >>> ZERO_SHIFT) & REGS;
  // The comparison only narrows: against a register, each operand narrows the other, so both
  // are wanted when either is after it (backtrack_insn); against a constant, nothing is added.
  const both = bit(i.dst) | bit(i.src);
  const fullIn = k.kind === 'jmp' && k.reg && (full & both) !== 0 ? full | both : full;
  return fullIn | ((zero & ~fullIn) << ZERO_SHIFT);
}

/** Wanted-precise register masks by slot (see `preciseRegisters`). */
export interface Precision {
  /**
   * Bit r: r's value may decide a later safety check; bit ZERO_SHIFT + r: only whether r is
   * zero may (when bit r is clear).
   */
  readonly precise: Int32Array;
  /**
   * The same, except at a conditional jump: the demands when the comparison there decided
   * nothing. The kernel marks a jump's operands precise only where the ranges decide it
   * (check_cond_jmp_op): an old state that took both edges there covers a current one whatever
   * the operands hold, as long as what is wanted after the jump is.
   */
  readonly undecided: Int32Array;
}

export function preciseRegisters(
  cfg: Cfg,
  at: readonly (Instruction | undefined)[],
  kinds: readonly (Kind | undefined)[],
  offStack?: Uint8Array,
  returnChecked = false,
): Precision {
  // A bpf-to-bpf call's callee entry, by the call's slot (-1: no such call).
  const mem = slotArrays(cfg);
  const entryOf = mem.int32(cfg.slots).fill(-1);
  for (const c of cfg.calls) entryOf[c.pc] = cfg.subprograms[c.callee]!.start;
  // 1 where r0 at an exit reaches a check: subprograms' exits, and the main program's if checked.
  const exitChecked = mem.uint8(cfg.slots);
  for (const b of cfg.blocks) if (returnChecked || b.subprogram !== 0) exitChecked[b.last] = 1;
  const precise = solveBackward(cfg, (pc, out, before) => {
    const i = at[pc];
    const k = kinds[pc];
    if (i === undefined || k === undefined) return undefined;
    const entry = entryOf[pc]!;
    const callee = entry < 0 ? ARGS : before[entry]! & REGS;
    return demandsBefore(i, k, out, exitChecked[pc] === 1, offStack?.[pc] === 1, callee);
  });
  const undecided = mem.int32(cfg.slots);
  undecided.set(precise);
  for (const block of cfg.blocks) {
    const pc = block.last;
    const i = at[pc];
    const k = kinds[pc];
    if (i === undefined || k?.kind !== 'jmp') continue;
    let out = 0;
    for (const s of block.successors) out |= precise[cfg.blocks[s]!.start]!;
    undecided[pc] = undecidedBefore(i, k, out);
  }
  return { precise, undecided };
}
