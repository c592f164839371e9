// The tokenizer shared by both assembly syntaxes: one source line in, tokens with 1-based
// columns out. It knows registers, numbers, names and the pseudo-C operators (`s>>=`, `<<=`, ...);
// it does not know instructions (the parsers do) nor comments (source.ts strips them first).

import { AsmError } from '../errors.js';

export type TokenType = 'reg' | 'num' | 'name' | 'op' | 'end';

export interface Token {
  readonly type: TokenType;
  /** The text as written (for `reg`, without a leading `%`). */
  readonly text: string;
  /** 1-based column of the first character. */
  readonly column: number;
  /** reg: register number. */
  readonly reg?: number;
  /** reg: true for the 32-bit view `wN`. */
  readonly wide32?: boolean;
  /** num: the unsigned magnitude. */
  readonly value?: bigint;
}

// Longest first, so `s>>=` wins over `s>` and `<<=` over `<=`.
const OPERATORS = [
  's>>=',
  '<<=',
  '>>=',
  's/=',
  's%=',
  's>=',
  's<=',
  '+=',
  '-=',
  '*=',
  '/=',
  '|=',
  '&=',
  '%=',
  '^=',
  '==',
  '!=',
  '>=',
  '<=',
  's>',
  's<',
  '>',
  '<',
  '=',
  '&',
  '(',
  ')',
  '[',
  ']',
  ',',
  '+',
  '-',
  '*',
  '#',
  ':',
];

const NAME_START = /[A-Za-z_.$]/;
const NAME_CHAR = /[A-Za-z0-9_.$]/;
const REGISTER = /^([rw])([0-9]+)$/;

/** Splits one line (comments already blanked) into tokens, ending with an `end` token. */
export function tokenize(text: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    const column = i + 1;
    if (c >= '0' && c <= '9') {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_])/.exec(text.slice(i));
      if (m === null) throw new AsmError(`malformed number '${word(text, i)}'`, line, column);
      out.push({ type: 'num', text: m[1]!, column, value: BigInt(m[1]!) });
      i += m[1]!.length;
      continue;
    }
    // `s>`, `s<`, `s/=`, `s%=`, `s>>=`: an operator, not the start of a name.
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op !== undefined && (c !== 's' || op.length > 1)) {
      out.push({ type: 'op', text: op, column });
      i += op.length;
      continue;
    }
    if (c === '%' && i + 1 < text.length && NAME_START.test(text[i + 1]!)) {
      // `%r1`, the register spelling of newer bpf_conformance test data.
      const w = word(text, i + 1);
      const m = REGISTER.exec(w);
      if (m === null || m[1] !== 'r')
        throw new AsmError(`expected a register after '%', found '${w}'`, line, column);
      out.push(registerToken(m, w, column, line));
      i += 1 + w.length;
      continue;
    }
    if (NAME_START.test(c)) {
      const w = word(text, i);
      const m = REGISTER.exec(w);
      out.push(m !== null ? registerToken(m, w, column, line) : { type: 'name', text: w, column });
      i += w.length;
      continue;
    }
    throw new AsmError(`unexpected character '${c}'`, line, column);
  }
  out.push({ type: 'end', text: '', column: text.trimEnd().length + 1 });
  return out;
}

function word(text: string, from: number): string {
  let j = from;
  while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
  return text.slice(from, Math.max(j, from + 1));
}

function registerToken(m: RegExpExecArray, w: string, column: number, line: number): Token {
  const n = Number(m[2]);
  // r0-r10 exist (RFC 9669 §2.1); anything else is a typo worth naming.
  if (n > 10 || (m[2]!.length > 1 && m[2]![0] === '0')) {
    throw new AsmError(`no register ${w}: registers are r0-r10 (w0-w10 for 32 bits)`, line, column);
  }
  return { type: 'reg', text: w, column, reg: n, wide32: m[1] === 'w' };
}

/** Human-readable form of a token for "expected X, found Y" messages. */
export function describe(t: Token): string {
  return t.type === 'end' ? 'end of line' : `'${t.text}'`;
}
