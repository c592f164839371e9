// Reads bpf_conformance test files: sections `-- asm` (mnemonic assembly), `-- raw` (one
// 64-bit instruction word per line), `-- mem` (hex bytes), `-- result` (expected r0) and
// `-- error` (expected failure). Other sections and `#` comments are ignored.

import { assemble, encode, type Instruction } from '../index.js';
import { parseHex } from './hex.js';

export interface ConformanceCase {
  readonly program: Uint8Array;
  readonly memory: Uint8Array;
  readonly result?: bigint;
  readonly error?: string;
}

function rawWords(lines: string[]): Uint8Array {
  const words = lines.filter((l) => l.trim() !== '').map((l) => BigInt.asUintN(64, BigInt(l.trim())));
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, k) => {
    view.setBigUint64(k * 8, w, true);
  });
  return out;
}

export function parseConformanceCase(text: string): ConformanceCase {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^--\s*(.+?)\s*$/.exec(line);
    if (header !== null) {
      current = [];
      sections.set(header[1]!, current);
    } else if (current !== undefined && !line.startsWith('#')) current.push(line);
  }
  const asm = sections.get('asm');
  const raw = sections.get('raw');
  let program: Uint8Array;
  if (raw !== undefined) program = rawWords(raw);
  else {
    const insns: Instruction[] = assemble((asm ?? []).join('\n'), { syntax: 'mnemonic' });
    program = encode(insns);
  }
  const result = sections.get('result')?.join('').trim();
  const error = sections.get('error')?.join('\n').trim();
  return {
    program,
    memory: parseHex(sections.get('mem')?.join(' ') ?? '', 'mem section'),
    ...(result === undefined || result === '' ? {} : { result: BigInt(result) }),
    ...(error === undefined || error === '' ? {} : { error }),
  };
}
