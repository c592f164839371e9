// Kernel bugs the oracle tests have found and can recognise, so that a comparison can tell "the
// kernel is wrong here, provably" from "an engine is wrong". Each check reads the kernel's own
// translation of the program (BPF_OBJ_GET_INFO_BY_FD xlated insns), never the engines' results.

import { type Instruction, insn, op as O, readSlot } from '../../src/isa/index.js';
import type { GeneratedProgram } from './program.js';

const isCmpxchg32 = (i: { op: number; imm: number }) =>
  i.op === (O.BPF_STX | O.BPF_ATOMIC | O.BPF_W) && i.imm === O.BPF_CMPXCHG;

/**
 * Linux 6.18: a 32-bit BPF_CMPXCHG must leave the old value zero-extended in r0 (RFC 9669
 * §5.3). x86's `lock cmpxchg` does not write eax when the comparison succeeds, so the verifier
 * patches `w0 = w0` (BPF_ZEXT_REG) after it, but only when it has seen r0 read as 64 bits on a
 * walked path (aux zext_dst). When that read lies only on a path the verifier pruned, the zext is
 * missing and r0 keeps its old upper half. True if the xlated program has such a cmpxchg.
 */
export function missingCmpxchgZext(xlated: Uint8Array): boolean {
  const slots = xlated.length / 8;
  for (let s = 0; s < slots; s++) {
    const i = readSlot(xlated, s);
    if (!isCmpxchg32(i)) continue;
    const next = s + 1 < slots ? readSlot(xlated, s + 1) : undefined;
    const zext = next !== undefined && next.op === 0xbc && next.dst === 0 && next.src === 0 && next.off === 0;
    if (!zext) return true;
  }
  return false;
}

/**
 * The same program with an explicit `w0 = w0` after every 32-bit cmpxchg: a no-op under RFC 9669
 * (r0 is already zero-extended), so every correct engine gives the same words; the kernel then
 * cannot leave the zero-extension out. Forward jumps across an insertion are lengthened.
 */
export function withExplicitCmpxchgZext(p: GeneratedProgram): GeneratedProgram {
  const at: number[] = []; // new index of each old body index, and of the body's end
  let n = 0;
  for (const i of p.body) {
    at.push(n);
    n += isCmpxchg32(i) ? 2 : 1;
  }
  at.push(n);
  const body: Instruction[] = [];
  p.body.forEach((i, k) => {
    const c = O.cls(i.op);
    const jump =
      (c === O.BPF_JMP || c === O.BPF_JMP32) && O.code(i.op) !== O.BPF_CALL && O.code(i.op) !== O.BPF_EXIT;
    body.push(jump ? { ...i, off: at[k + 1 + i.off]! - at[k]! - 1 } : i);
    if (isCmpxchg32(i)) body.push(insn(O.BPF_ALU | O.BPF_MOV | O.BPF_X, 0, 0, 0, 0));
  });
  return { ...p, body };
}

/**
 * Linux 6.18: the verifier's state pruning can miss a path that runs (e.g. precision is not
 * carried from a fetching atomic back to the stack slot it read, so a state with a different
 * slot value is pruned as equivalent). Instructions reached only on the missed path are then
 * "dead" to the verifier, which removes them, and the kernel runs a different program.
 * Recognised per program from the verifier log at level 2 (it prints every instruction it
 * processes, and `N: safe` where it prunes): the run passed a slot where the verifier pruned,
 * and afterwards executed slots the verifier never processed. Returns those slots, or [].
 */
export function executedButUnverified(log: string, executed: ReadonlySet<number>): number[] {
  const visited = new Set<number>();
  for (const m of log.matchAll(/^(\d+): \(/gm)) visited.add(Number(m[1]));
  const pruned = [...log.matchAll(/^(?:from \d+ to )?(\d+): safe$/gm)].map((m) => Number(m[1]));
  const firstPrune = Math.min(...pruned.filter((p) => executed.has(p)));
  // Generated programs only jump forward, so what follows the prune point has a higher slot.
  return [...executed].filter((s) => !visited.has(s) && s > firstPrune).sort((a, b) => a - b);
}
