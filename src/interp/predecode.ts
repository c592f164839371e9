// Turns instruction records into the flat typed arrays the interpreter's loop reads: one entry
// per 8-byte slot (op code, doubled register indices, offset, immediate, jump target). This is
// where every instruction kind is handled exhaustively; nothing here executes.
// Bad jump targets become sentinel slots past the end, so they fault only when taken.

import { assertNever } from '../errors.js';
import { classify, type Instruction, op as O, targetOf } from '../isa/index.js';
import { type HelperFn, type HelperTable, type LddwResolver, lddwValue } from '../runtime/index.js';
import * as C from './codes.js';

/** Words per slot in `code`. */
export const W = 8;
/** Word offsets within a slot. */
export const OP = 0;
export const DST = 1;
export const SRC = 2;
export const OFF = 3;
export const IMM = 4;
export const HI = 5;
export const TARGET = 6;
export const REAL_OP = 7;

/**
 * The program as one Int32Array, 8 words per slot (interleaved for locality: one bounds check
 * and one cache line per instruction):
 *   [0] op code (codes.ts)   [1] 2 * dst   [2] 2 * src   [3] off   [4] imm (lddw: low word)
 *   [5] high word of the sign-extended imm (lddw: high word)
 *   [6] jump / call target as (slot - 1) * 8: the loop adds 8 after every instruction
 *   [7] the real op code when [0] is the step-hook trap
 * Slot `slots` is the fell-off-the-end sentinel; bad jump targets get sentinels after it.
 * Sentinel slots keep the pc to blame in [4] and, for bad jumps, the wanted target slot in [6].
 */
export interface Decoded {
  readonly slots: number;
  readonly code: Int32Array;
  /** Helper function at each helper-call slot, if the table has it. */
  readonly helpers: readonly (HelperFn | undefined)[];
}

const ATOMIC_INDEX: Record<string, number> = Object.fromEntries(C.ATOMIC_ORDER.map((name, k) => [name, k]));

export function predecode(
  program: readonly Instruction[],
  helperTable: HelperTable | undefined,
  resolveLddw: LddwResolver | undefined,
): Decoded {
  let n = 0;
  for (const i of program) n += i.op === O.OP_LDDW ? 2 : 1;
  const op = new Uint16Array(n + 1);
  const dst = new Uint8Array(n + 1);
  const src = new Uint8Array(n + 1);
  const off = new Int32Array(n + 1);
  const imm = new Int32Array(n + 1);
  const hi = new Int32Array(n + 1);
  const target = new Int32Array(n + 1);
  const helpers: (HelperFn | undefined)[] = [];
  const jumps: number[] = [];

  let slot = 0;
  let last = 0;
  for (const i of program) {
    const pc = slot;
    last = pc;
    const kind = classify(i, { pc });
    // The slot a jump, local call or function address names (isa's one formula for every pass).
    const named = targetOf(i, kind, pc);
    dst[pc] = i.dst * 2;
    src[pc] = (i.src & 0x0f) * 2;
    off[pc] = i.off;
    imm[pc] = i.imm;
    hi[pc] = i.imm >> 31;
    op[pc] = i.op;
    switch (kind.kind) {
      case 'alu': {
        const wide = kind.alu64 ? 4 : 0;
        const x = kind.reg ? 1 : 0;
        if (kind.op === 'sdiv') op[pc] = C.SDIV32_K + wide + x;
        else if (kind.op === 'smod') op[pc] = C.SMOD32_K + wide + x;
        else if (kind.op === 'movsx') {
          const ext = kind.ext ?? 8;
          op[pc] = kind.alu64
            ? ext === 8
              ? C.MOVSX64_8
              : ext === 16
                ? C.MOVSX64_16
                : C.MOVSX64_32
            : ext === 8
              ? C.MOVSX32_8
              : C.MOVSX32_16;
        }
        break;
      }
      case 'endian': {
        const w = kind.bits === 16 ? 0 : kind.bits === 32 ? 1 : 2;
        op[pc] = (kind.order === 'le' ? C.LE16 : C.SWAP16) + w;
        break;
      }
      case 'jmp':
      case 'ja':
        target[pc] = named!;
        jumps.push(pc);
        break;
      case 'call':
        if (kind.target === 'helper') helpers[pc] = helperTable?.get(i.imm);
        else if (kind.target === 'local') {
          op[pc] = C.CALL_LOCAL;
          target[pc] = named!;
          jumps.push(pc);
        } else op[pc] = C.CALL_KFUNC;
        break;
      case 'callx':
      case 'exit':
      case 'ldpkt':
      case 'load':
      case 'store':
        break;
      case 'lddw': {
        const value = lddwValue(i, kind.pseudo, pc, named ?? 0, resolveLddw);
        imm[pc] = value[0];
        hi[pc] = value[1];
        op[pc + 1] = C.LDDW_TAIL;
        break;
      }
      case 'atomic': {
        const name = kind.fetch && kind.op !== 'xchg' && kind.op !== 'cmpxchg' ? `${kind.op}_fetch` : kind.op;
        op[pc] = C.ATOMIC_BASE + (kind.bytes === 8 ? 10 : 0) + ATOMIC_INDEX[name]!;
        break;
      }
      default:
        assertNever(kind, 'instruction kind');
    }
    slot += i.op === O.OP_LDDW ? 2 : 1;
  }
  op[n] = C.FELL_OFF;
  imm[n] = last;

  // Targets outside the program or into the middle of an lddw get a sentinel slot each, which
  // remembers where the jump came from.
  const extra: { from: number; to: number }[] = [];
  for (const pc of jumps) {
    const t = target[pc]!;
    if (t < 0 || t >= n || op[t] === C.LDDW_TAIL) {
      target[pc] = n + 1 + extra.length; // the sentinel slot
      extra.push({ from: pc, to: t });
    }
  }
  const code = new Int32Array((n + 1 + extra.length) * W);
  for (let k = 0; k <= n; k++) {
    const w = k * W;
    code[w + OP] = op[k]!;
    code[w + DST] = dst[k]!;
    code[w + SRC] = src[k]!;
    code[w + OFF] = off[k]!;
    code[w + IMM] = imm[k]!;
    code[w + HI] = hi[k]!;
    code[w + TARGET] = (target[k]! - 1) * W;
  }
  extra.forEach(({ from, to }, k) => {
    const w = (n + 1 + k) * W;
    code[w + OP] = C.BAD_JUMP;
    code[w + IMM] = from;
    code[w + TARGET] = to;
  });
  return { slots: n, code, helpers };
}

/** A copy of `d` whose every instruction slot first traps to the step hook (op STEP_TRAP). */
export function withStepTraps(d: Decoded): Decoded {
  const code = d.code.slice();
  for (let k = 0; k < d.slots; k++) {
    const w = k * W;
    if (code[w + OP] === C.LDDW_TAIL) continue;
    code[w + REAL_OP] = code[w + OP]!;
    code[w + OP] = C.STEP_TRAP;
  }
  return { slots: d.slots, code, helpers: d.helpers };
}
