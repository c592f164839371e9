// Prints one classified instruction in the mnemonic syntax of uBPF and the bpf_conformance
// suite: `mov r0, 1`, `ldxw r0, [r1+4]`, `jgt r1, r2, +24`, `lock fetch add [r1], r2`.
// Spellings follow bpf_conformance's disassembler; where it has no spelling (kfunc offsets,
// lddw sources) the RFC 9669 §4.4 names are used so the text still assembles back.

import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { lddwValue } from '../isa/index.js';
import { conformanceImm } from './format-number.js';
import type { ResolvedFormat } from './options.js';
import { LDDW_SOURCE, SIZE_NAME } from './words.js';

const memory = (base: number, off: number) =>
  off === 0 ? `[r${base}]` : `[r${base}${off > 0 ? '+' : ''}${off}]`;

function target(delta: number, pc: number, f: ResolvedFormat): string {
  return f.labelAt(pc + 1 + delta) ?? (delta < 0 ? `${delta}` : `+${delta}`);
}

export function formatMnemonic(i: Instruction, k: Kind, pc: number, f: ResolvedFormat): string {
  switch (k.kind) {
    case 'alu': {
      const sfx = k.alu64 ? '' : '32';
      if (k.op === 'neg') return `neg${sfx} r${i.dst}`;
      if (k.op === 'movsx') return `movsx${k.ext}${k.alu64 ? '64' : '32'} r${i.dst}, r${i.src}`;
      return `${k.op}${sfx} r${i.dst}, ${k.reg ? `r${i.src}` : conformanceImm(i.imm)}`;
    }
    case 'endian':
      return `${k.order}${k.bits} r${i.dst}`;
    case 'jmp':
      return `${k.cond}${k.jmp32 ? '32' : ''} r${i.dst}, ${k.reg ? `r${i.src}` : conformanceImm(i.imm)}, ${target(i.off, pc, f)}`;
    case 'ja':
      return k.long ? `ja32 ${target(i.imm, pc, f)}` : `ja ${target(i.off, pc, f)}`;
    case 'call':
      if (k.target === 'helper') return `call ${conformanceImm(i.imm)}`;
      if (k.target === 'local') return `call local ${target(i.imm, pc, f)}`;
      return i.off === 0
        ? `call runtime ${conformanceImm(i.imm)}`
        : `call runtime ${conformanceImm(i.imm)}, ${i.off}`;
    case 'callx':
      return `callx r${i.dst}`;
    case 'exit':
      return 'exit';
    case 'lddw': {
      if (k.pseudo === 0) return `lddw r${i.dst}, 0x${lddwValue(i).toString(16)}`;
      const name = LDDW_SOURCE[k.pseudo]!;
      const arg = conformanceImm(i.imm);
      if (k.pseudo === 2 || k.pseudo === 6) {
        const inner = name.slice('map_val('.length, -1);
        return `lddw r${i.dst}, map_val(${inner}(${arg})) + ${conformanceImm(i.hi ?? 0)}`;
      }
      return `lddw r${i.dst}, ${name}(${arg})`;
    }
    case 'ldpkt': {
      const sz = SIZE_NAME[k.bytes];
      return k.indirect
        ? `ldind${sz} r${i.src}, ${conformanceImm(i.imm)}`
        : `ldabs${sz} ${conformanceImm(i.imm)}`;
    }
    case 'load':
      return `ldx${k.signed ? 's' : ''}${SIZE_NAME[k.bytes]} r${i.dst}, ${memory(i.src, i.off)}`;
    case 'store':
      return k.reg
        ? `stx${SIZE_NAME[k.bytes]} ${memory(i.dst, i.off)}, r${i.src}`
        : `st${SIZE_NAME[k.bytes]} ${memory(i.dst, i.off)}, ${conformanceImm(i.imm)}`;
    case 'atomic': {
      const sfx = k.bytes === 4 ? '32' : '';
      const fetch = k.fetch && k.op !== 'xchg' && k.op !== 'cmpxchg' ? 'fetch ' : '';
      return `lock ${fetch}${k.op}${sfx} ${memory(i.dst, i.off)}, r${i.src}`;
    }
    default:
      return assertNever(k, 'instruction kind');
  }
}
