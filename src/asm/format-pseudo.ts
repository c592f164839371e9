// Prints one classified instruction in pseudo-C, in LLVM style (what llvm-objdump-19 prints,
// e.g. `r0 = *(u32 *)(r1 + 0x4)`, `if r1 > r2 goto +0x18 <prog+0xd0>`) or kernel style (what
// kernel/bpf/disasm.c print_bpf_insn() prints, e.g. `r0 = *(u32 *)(r1 +4)`, `goto pc+24`).
// The line-level concerns (addresses, labels, opcodes prefix) live in disassemble.ts.

import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { lddwValue } from '../isa/index.js';
import { hexOffset, hexSigned, hexU32, plusDec } from './format-number.js';
import type { ResolvedFormat, SymbolAt } from './options.js';
import { ALU_ASSIGN, ATOMIC_ASSIGN, JMP_OPERATOR, UNSIGNED_TYPE } from './words.js';

const reg = (n: number, w32: boolean) => `${w32 ? 'w' : 'r'}${n}`;

/** objdump's `<sym+0x..>` for a byte offset: the last symbol at or before it (else the first). */
export function symbolNote(offset: number, symbols: readonly SymbolAt[]): string | undefined {
  if (symbols.length === 0) return undefined;
  let best = symbols[0]!;
  for (const s of symbols) if (s.offset <= offset) best = s;
  const delta = BigInt.asUintN(64, BigInt(offset - best.offset));
  return delta === 0n ? best.name : `${best.name}+0x${delta.toString(16)}`;
}

function target(delta: number, pc: number, f: ResolvedFormat): string {
  const slot = pc + 1 + delta;
  const label = f.labelAt(slot);
  if (label !== undefined) return label;
  if (f.kernel) return `pc${plusDec(delta)}`;
  const note = symbolNote(slot * 8, f.symbols);
  return note === undefined ? hexOffset(delta) : `${hexOffset(delta)} <${note}>`;
}

function mem(base: number, off: number, f: ResolvedFormat): string {
  if (f.kernel) return `(r${base} ${plusDec(off)})`;
  return off < 0 ? `(r${base} - 0x${(-off).toString(16)})` : `(r${base} + 0x${off.toString(16)})`;
}

const imm = (v: number, f: ResolvedFormat) => (f.kernel ? `${v}` : hexSigned(v));

export function formatPseudo(i: Instruction, k: Kind, pc: number, f: ResolvedFormat): string {
  switch (k.kind) {
    case 'alu': {
      const w = !k.alu64;
      const d = reg(i.dst, w);
      if (k.op === 'neg') return `${d} = -${d}`;
      if (k.op === 'movsx') return `${d} = (s${k.ext})${reg(i.src, w)}`;
      const src = k.reg ? reg(i.src, w) : imm(i.imm, f);
      return `${d} ${ALU_ASSIGN[k.op]} ${src}`;
    }
    case 'endian':
      return `r${i.dst} = ${k.order}${k.bits} r${i.dst}`;
    case 'jmp': {
      const w = k.jmp32;
      const src = k.reg ? reg(i.src, w) : f.kernel ? hexU32(i.imm) : hexSigned(i.imm);
      return `if ${reg(i.dst, w)} ${JMP_OPERATOR[k.cond]} ${src} goto ${target(i.off, pc, f)}`;
    }
    case 'ja':
      return k.long ? `gotol ${target(i.imm, pc, f)}` : `goto ${target(i.off, pc, f)}`;
    case 'call':
      return formatCall(i, k.target, pc, f);
    case 'callx':
      return `callx r${i.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw': {
      const v = lddwValue(i);
      if (k.pseudo === 0) {
        if (f.kernel) return `r${i.dst} = 0x${v.toString(16)}${f.opcodes || f.exact ? '' : ' ll'}`;
        return `r${i.dst} = ${hexSigned(BigInt.asIntN(64, v))} ll`;
      }
      if (f.kernel && f.exact) return `r${i.dst} = 0x${v.toString(16)}`;
      // LLVM prints only the first word (`ld_pseudo r1, 0x2, 0x5`); the second carries the
      // map value offset for src 2 and 6, so the lossless form prints all 64 bits.
      const shown = f.exact ? BigInt(i.imm >>> 0) : v;
      return f.kernel
        ? `ld_pseudo r${i.dst}, ${k.pseudo}, 0x${shown.toString(16)}`
        : `ld_pseudo\tr${i.dst}, 0x${k.pseudo.toString(16)}, 0x${shown.toString(16)}`;
    }
    case 'ldpkt': {
      const t = UNSIGNED_TYPE[k.bytes];
      if (!k.indirect) return `r0 = *(${t} *)skb[${f.kernel ? i.imm : hexSigned(i.imm)}]`;
      if (f.kernel) return `r0 = *(${t} *)skb[r${i.src} + ${i.imm}]`;
      // LLVM's LD_IND syntax has no immediate; it is printed only when not asked to be exact.
      return i.imm === 0 || f.exact
        ? `r0 = *(${t} *)skb[r${i.src}]`
        : `r0 = *(${t} *)skb[r${i.src} + ${hexSigned(i.imm)}]`;
    }
    case 'load': {
      const t = `${k.signed ? 's' : 'u'}${k.bytes * 8}`;
      const w = f.alu32 && !k.signed && k.bytes < 8;
      return `${reg(i.dst, w)} = *(${t} *)${mem(i.src, i.off, f)}`;
    }
    case 'store': {
      const dst = `*(${UNSIGNED_TYPE[k.bytes]} *)${mem(i.dst, i.off, f)}`;
      if (!k.reg) return `${dst} = ${imm(i.imm, f)}`;
      return `${dst} = ${reg(i.src, f.alu32 && k.bytes < 8)}`;
    }
    case 'atomic':
      return formatAtomic(i, k, f);
    default:
      return assertNever(k, 'instruction kind');
  }
}

function formatCall(i: Instruction, t: 'helper' | 'local' | 'kfunc', pc: number, f: ResolvedFormat): string {
  if (t === 'helper') {
    return f.kernel ? `call ${f.helperName(i.imm) ?? 'unknown'}#${i.imm}` : `call ${hexSigned(i.imm)}`;
  }
  if (t === 'local') {
    const label = f.labelAt(pc + 1 + i.imm);
    if (label !== undefined) return `call ${label}`;
    if (f.kernel) return `call pc${plusDec(i.imm)}`;
    // objdump prints a local call like a helper call; `pc` keeps them apart when not exact.
    return f.exact ? `call ${hexSigned(i.imm)}` : `call pc${hexOffset(i.imm)}`;
  }
  if (f.kernel) {
    // The kernel's log names a kfunc it resolved (`call bpf_ct_release#63223`).
    if (i.reference !== undefined && i.off === 0) return `call ${i.reference}#${i.imm}`;
    if (f.exact || i.off === 0) return `call kernel-function#${i.imm}`;
    return `call kfunc ${i.imm}, ${i.off}`;
  }
  if (f.exact) return `call ${hexSigned(i.imm)}`;
  return i.off === 0
    ? `call kfunc ${hexSigned(i.imm)}`
    : `call kfunc ${hexSigned(i.imm)}, ${hexSigned(i.off)}`;
}

function formatAtomic(i: Instruction, k: Extract<Kind, { kind: 'atomic' }>, f: ResolvedFormat): string {
  const t = UNSIGNED_TYPE[k.bytes];
  const m = mem(i.dst, i.off, f);
  if (f.kernel) {
    const n = k.bytes === 8 ? '64' : '';
    if (k.op === 'xchg') return `r${i.src} = atomic${n}_xchg((${t} *)${m}, r${i.src})`;
    if (k.op === 'cmpxchg') return `r0 = atomic${n}_cmpxchg((${t} *)${m}, r0, r${i.src})`;
    if (k.fetch) return `r${i.src} = atomic${n}_fetch_${k.op}((${t} *)${m}, r${i.src})`;
    return `lock *(${t} *)${m} ${ATOMIC_ASSIGN[k.op]} r${i.src}`;
  }
  // 32-bit fetching forms exist only with w registers in LLVM's syntax.
  const w = k.bytes === 4;
  const s = reg(i.src, w);
  const bare = m.slice(1, -1); // `r2 + 0x0`, as xchg_64/cmpxchg_64 take it
  if (k.op === 'xchg') return `${s} = ${w ? 'xchg32_32' : 'xchg_64'}(${bare}, ${s})`;
  if (k.op === 'cmpxchg')
    return `${reg(0, w)} = ${w ? 'cmpxchg32_32' : 'cmpxchg_64'}(${bare}, ${reg(0, w)}, ${s})`;
  if (k.fetch) return `${s} = atomic_fetch_${k.op}((${t} *)${m}, ${s})`;
  return `lock *(${t} *)${m} ${ATOMIC_ASSIGN[k.op]} ${reg(i.src, w && f.alu32)}`;
}
