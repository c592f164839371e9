// Prints instructions in the kernel verifier's pseudo-C (`r0 = *(u32 *)(r10 -8)`), one line per
// instruction with its slot number, for failure messages of the property tests. A test aid, not
// the project's disassembler (that belongs to src/asm/).

import { classify, type Instruction, lddwValue, slots } from '../../src/isa/index.js';

const ALU_SYM: Record<string, string> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: 's/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  mod: '%=',
  smod: 's%=',
  xor: '^=',
  mov: '=',
  arsh: 's>>=',
};
const JMP_SYM: Record<string, string> = {
  jeq: '==',
  jgt: '>',
  jge: '>=',
  jset: '&',
  jne: '!=',
  jsgt: 's>',
  jsge: 's>=',
  jlt: '<',
  jle: '<=',
  jslt: 's<',
  jsle: 's<=',
};
const SIZE_T: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const off = (o: number) => (o < 0 ? `${o}` : `+${o}`);
const hexImm = (v: number) => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

/** One instruction in pseudo-C; unknown encodings print as raw fields. */
export function pseudoC(i: Instruction): string {
  let k: ReturnType<typeof classify>;
  try {
    k = classify(i);
  } catch {
    return `.insn op=0x${i.op.toString(16)} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}`;
  }
  const r = (n: number, w64 = true) => `${w64 ? 'r' : 'w'}${n}`;
  switch (k.kind) {
    case 'alu': {
      const d = r(i.dst, k.alu64);
      if (k.op === 'neg') return `${d} = -${d}`;
      if (k.op === 'movsx') return `${d} = (s${k.ext})${r(i.src, k.alu64)}`;
      const s = k.reg ? r(i.src, k.alu64) : hexImm(i.imm);
      return `${d} ${ALU_SYM[k.op]} ${s}`;
    }
    case 'endian':
      return `r${i.dst} = ${k.order}${k.bits} r${i.dst}`;
    case 'jmp': {
      const s = k.reg ? r(i.src, !k.jmp32) : hexImm(i.imm);
      return `if ${r(i.dst, !k.jmp32)} ${JMP_SYM[k.cond]} ${s} goto pc${off(i.off)}`;
    }
    case 'ja':
      return `goto pc${off(k.long ? i.imm : i.off)}`;
    case 'call':
      return `call ${k.target === 'helper' ? '' : `${k.target} `}${i.imm}`;
    case 'callx':
      return `callx r${i.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw':
      return k.pseudo === 0
        ? `r${i.dst} = 0x${lddwValue(i).toString(16)} ll`
        : `r${i.dst} = lddw(src=${k.pseudo}, imm=${i.imm}, next=${i.hi ?? 0})`;
    case 'ldpkt':
      return `r0 = *(${SIZE_T[k.bytes]} *)skb[${k.indirect ? `r${i.src} + ` : ''}${i.imm}]`;
    case 'load':
      return `r${i.dst} = *(${k.signed ? 's' : 'u'}${k.bytes * 8} *)(r${i.src} ${off(i.off)})`;
    case 'store':
      return `*(${SIZE_T[k.bytes]} *)(r${i.dst} ${off(i.off)}) = ${k.reg ? `r${i.src}` : hexImm(i.imm)}`;
    case 'atomic': {
      const t = SIZE_T[k.bytes];
      const s = r(i.src, k.bytes === 8);
      const at = `(${t} *)(r${i.dst} ${off(i.off)})`;
      if (k.op === 'xchg') return `${s} = xchg(${at}, ${s})`;
      if (k.op === 'cmpxchg')
        return `${k.bytes === 8 ? 'r0' : 'w0'} = cmpxchg(${at}, ${k.bytes === 8 ? 'r0' : 'w0'}, ${s})`;
      if (k.fetch) return `${s} = atomic_fetch_${k.op}(${at}, ${s})`;
      return `lock *${at} ${ALU_SYM[k.op]} ${s}`;
    }
  }
}

/** A listing with slot numbers, as the verifier log numbers instructions. */
export function listing(program: readonly Instruction[], firstSlot = 0): string {
  const lines: string[] = [];
  let slot = firstSlot;
  for (const i of program) {
    lines.push(`${String(slot).padStart(4)}: ${pseudoC(i)}`);
    slot += slots(i);
  }
  return lines.join('\n');
}
