// The explanation the kernel's log lacks: for a refusal, the C source line (line info), the
// path of instructions that led to it, the register that broke the rule and where that register
// was last set on the path, and a one-line hint of the usual fix.

import type { Instruction } from '../isa/index.js';
import { type LineInfo, sourceLine } from '../program/index.js';
import { formatReg } from './format.js';
import type { Property } from './refuse.js';
import { current, type State } from './state.js';
import type { Trail } from './walk.js';

export interface Explanation {
  /** The safety property that failed. */
  readonly property: Property;
  /** The kernel's message (its last line of log before the statistics). */
  readonly message: string;
  readonly pc: number;
  /** `file:line: text` of the refused instruction, with line info. */
  readonly source?: string;
  /** Slots from the entry to the refused instruction on the path the walk took. */
  readonly path: readonly number[];
  /** The register that broke the rule, its state, and the slot that last set it on the path. */
  readonly register?: { readonly reg: number; readonly state: string; readonly setAt?: number };
  readonly hint?: string;
}

export function trailPath(trail: Trail | undefined): number[] {
  const out: number[] = [];
  for (let t = trail; t !== undefined; t = t.prev) if (out[0] !== t.pc) out.unshift(t.pc);
  return out;
}

export function explain(
  refusal: { property: Property; message: string; hint: string | undefined; reg: number | undefined },
  pc: number,
  path: readonly number[],
  state: State,
  at: readonly (Instruction | undefined)[],
  lineInfo: readonly LineInfo[],
): Explanation {
  const source = sourceLine(lineInfo, pc);
  let register: Explanation['register'];
  if (refusal.reg !== undefined) {
    const r = refusal.reg;
    let setAt: number | undefined;
    // The last instruction before the refused one on the path that wrote the register.
    for (let k = path.length - 2; k >= 0 && setAt === undefined; k--) {
      const i = at[path[k]!];
      if (i !== undefined && writes(i, r)) setAt = path[k];
    }
    register = {
      reg: r,
      state: formatReg(current(state).regs[r]!),
      ...(setAt === undefined ? {} : { setAt }),
    };
  }
  return {
    property: refusal.property,
    message: refusal.message,
    pc,
    path,
    ...(source === undefined ? {} : { source }),
    ...(register === undefined ? {} : { register }),
    ...(refusal.hint === undefined ? {} : { hint: refusal.hint }),
  };
}

/** Whether `i` writes register `r` (the destination of ALU ops, loads and lddw; r0-r5 for calls). */
function writes(i: Instruction, r: number): boolean {
  const cls = i.op & 7;
  if (cls === 0x04 || cls === 0x07 || cls === 0x01) return i.dst === r; // ALU, ALU64, LDX
  if (cls === 0x00) return i.op === 0x18 ? i.dst === r : r <= 5; // lddw, LD_ABS/IND
  if (cls === 0x05 && (i.op & 0xf0) === 0x80) return r <= 5; // call
  return false;
}

/** The explanation as text, for messages and the CLI. */
export function formatExplanation(e: Explanation, describe: (pc: number) => string): string {
  const lines = [`insn ${e.pc}: ${e.message.split('\n')[0]} (${e.property})`];
  if (e.source !== undefined) lines.push(`  at ${e.source}`);
  if (e.register !== undefined) {
    const set =
      e.register.setAt === undefined
        ? ''
        : `, set at insn ${e.register.setAt}: ${describe(e.register.setAt)}`;
    lines.push(`  R${e.register.reg}=${e.register.state}${set}`);
  }
  const shown = e.path.length > 24 ? [...e.path.slice(0, 8), -1, ...e.path.slice(-15)] : e.path;
  lines.push(`  path: ${shown.map((p) => (p < 0 ? '…' : String(p))).join(' → ')}`);
  if (e.hint !== undefined) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n');
}
