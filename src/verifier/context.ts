// Verifier pass: context accesses. Finds loads and stores whose base register surely holds the
// context pointer (r1 at entry, copied by mov, passed to subprograms) and refuses those the
// program type may not make, naming the field — the kernel's verifier does the same ("invalid
// bpf_context access"). A must-analysis over the CFG: an access through a register that is the
// context on only some paths, or spilled to the stack, is not checked (no register states here).

import { type Cfg, rejected } from '../cfg/index.js';
import { assertNever } from '../errors.js';
import { classify, type Instruction, type Kind, slots } from '../isa/index.js';
import type { AttachTypeName } from '../uapi/attach-types.js';
import { ctxAccessProblem, ctxKind, describeCtxAccess } from '../uapi/context.js';
import type { ProgTypeName } from '../uapi/prog-types.js';

const CALLER_SAVED = 0b111111; // r0-r5
const ARGS = 0b111110; // r1-r5 carry into a callee

/** Throws VerifierError for the first context access `type` may not make. */
export function checkContextAccess(
  type: ProgTypeName,
  program: readonly Instruction[],
  cfg: Cfg,
  attachType?: AttachTypeName,
): void {
  const kind = ctxKind(type);
  if (kind === undefined) return;
  const at: (Instruction | undefined)[] = new Array(cfg.slots);
  const kinds: (Kind | undefined)[] = new Array(cfg.slots);
  let slot = 0;
  for (const i of program) {
    at[slot] = i;
    kinds[slot] = classify(i, { pc: slot });
    slot += slots(i);
  }
  const callee = new Map(cfg.calls.map((c) => [c.pc, cfg.subprograms[c.callee]!.start]));
  // in[pc]: registers surely holding ctx on entry to pc (undefined: not reached yet).
  const inMask: (number | undefined)[] = new Array(cfg.slots);
  const work: number[] = [];
  const flow = (pc: number, mask: number) => {
    const old = inMask[pc];
    const joined = old === undefined ? mask : old & mask;
    if (joined !== old) {
      inMask[pc] = joined;
      work.push(pc);
    }
  };
  const access = (pc: number, off: number, size: number, write: boolean) => {
    const why = ctxAccessProblem(type, off, size, write, attachType);
    if (why === undefined) return;
    const what = `${type} ${write ? 'write' : 'read'} of ${describeCtxAccess(kind, off, size)}: ${why}`;
    throw rejected(pc, `invalid bpf_context access off=${off} size=${size}`, what);
  };
  flow(0, 1 << 1);
  while (work.length > 0) {
    const pc = work.pop()!;
    const i = at[pc]!;
    const k = kinds[pc]!;
    const m = inMask[pc]!;
    const has = (r: number) => (m >> r) & 1;
    let out = m;
    switch (k.kind) {
      case 'alu':
        if (k.op === 'mov' && k.alu64 && k.reg) out = has(i.src) ? m | (1 << i.dst) : m & ~(1 << i.dst);
        else out = m & ~(1 << i.dst);
        break;
      case 'endian':
      case 'lddw':
        out = m & ~(1 << i.dst);
        break;
      case 'load':
        if (has(i.src)) access(pc, i.off, k.bytes, false);
        out = m & ~(1 << i.dst);
        break;
      case 'store':
        if (has(i.dst)) access(pc, i.off, k.bytes, true);
        break;
      case 'atomic':
        if (has(i.dst)) {
          throw rejected(pc, `BPF_ATOMIC stores into R${i.dst} ctx is not allowed`);
        }
        if (k.fetch) out = m & ~(1 << (k.op === 'cmpxchg' ? 0 : i.src));
        break;
      case 'call': {
        const start = callee.get(pc);
        if (start !== undefined) flow(start, m & ARGS);
        out = m & ~CALLER_SAVED;
        break;
      }
      case 'ldpkt':
      case 'callx':
        out = m & ~CALLER_SAVED;
        break;
      case 'jmp':
      case 'ja':
      case 'exit':
        break;
      default:
        assertNever(k, 'instruction kind');
    }
    const b = cfg.blocks[cfg.blockOf[pc]!]!;
    if (pc !== b.last) flow(pc + slots(i), out);
    else for (const s of b.successors) flow(cfg.blocks[s]!.start, out);
  }
}
