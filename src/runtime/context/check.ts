// The load-time check of context accesses: finds loads and stores whose base register surely
// holds the context pointer (r1 at entry, copied by mov, passed to subprograms) and refuses
// those the program type may not make, naming the field — the kernel's verifier does the same
// ("invalid bpf_context access"). A must-analysis: an access through a register that is the
// context on only some paths, or spilled to the stack, is not checked (no verifier here).

import { VerifierError } from '../../errors.js';
import { classify, type Instruction, slots } from '../../isa/index.js';
import { ctxAccessProblem, ctxKind, describeCtxAccess } from '../../uapi/context.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';

const CALLER_SAVED = 0b111111; // r0-r5

/** Throws VerifierError for the first context access `type` may not make. */
export function checkContextAccess(type: ProgTypeName, program: readonly Instruction[]): void {
  const kind = ctxKind(type);
  if (kind === undefined) return;
  const bySlot: (Instruction | undefined)[] = [];
  let slot = 0;
  for (const i of program) {
    bySlot[slot] = i;
    slot += slots(i);
  }
  const total = slot;
  // in[pc]: registers surely holding ctx on entry to pc (undefined: not reached yet).
  const inMask: (number | undefined)[] = new Array(total);
  const work: number[] = [];
  const flow = (pc: number, mask: number) => {
    if (pc < 0 || pc >= total || bySlot[pc] === undefined) return;
    const old = inMask[pc];
    const joined = old === undefined ? mask : old & mask;
    if (joined !== old) {
      inMask[pc] = joined;
      work.push(pc);
    }
  };
  const access = (pc: number, off: number, size: number, write: boolean) => {
    const why = ctxAccessProblem(type, off, size, write);
    if (why === undefined) return;
    const what = `invalid bpf_context access off=${off} size=${size}`;
    throw new VerifierError(
      `${what}: ${type} ${write ? 'write' : 'read'} of ${describeCtxAccess(kind, off, size)}: ${why}`,
      `${pc}: ${what}`,
      pc,
    );
  };
  flow(0, 1 << 1);
  while (work.length > 0) {
    const pc = work.pop()!;
    const i = bySlot[pc]!;
    let m = inMask[pc]!;
    const has = (r: number) => (m >> r) & 1;
    const next = pc + slots(i);
    const k = classify(i);
    switch (k.kind) {
      case 'alu':
        if (k.op === 'mov' && k.alu64 && k.reg) m = has(i.src) ? m | (1 << i.dst) : m & ~(1 << i.dst);
        else m &= ~(1 << i.dst);
        flow(next, m);
        break;
      case 'endian':
      case 'lddw':
        flow(next, m & ~(1 << i.dst));
        break;
      case 'load':
        if (has(i.src)) access(pc, i.off, k.bytes, false);
        flow(next, m & ~(1 << i.dst));
        break;
      case 'store':
        if (has(i.dst)) access(pc, i.off, k.bytes, true);
        flow(next, m);
        break;
      case 'atomic':
        if (has(i.dst)) {
          throw new VerifierError(`atomic access to the context (r${i.dst}) is not allowed`, '', pc);
        }
        flow(next, k.fetch ? m & ~(1 << (k.op === 'cmpxchg' ? 0 : i.src)) : m);
        break;
      case 'ldpkt':
      case 'callx':
        flow(next, m & ~CALLER_SAVED);
        break;
      case 'call':
        if (k.target === 'local') flow(pc + i.imm + 1, m & 0b111110);
        flow(next, m & ~CALLER_SAVED);
        break;
      case 'jmp':
        flow(next, m);
        flow(pc + i.off + 1, m);
        break;
      case 'ja':
        flow(pc + (k.long ? i.imm : i.off) + 1, m);
        break;
      case 'exit':
        break;
    }
  }
}
