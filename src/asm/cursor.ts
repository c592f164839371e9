// A cursor over one line's tokens with the small parsing steps both syntaxes share: expect an
// operator, a register, a signed number in a range. Every failure is an AsmError that names what
// was expected and what was found, at the column where it was found.

import { AsmError } from '../errors.js';
import { describe, type Token } from './lexer.js';

export interface Register {
  readonly reg: number;
  readonly wide32: boolean;
  readonly column: number;
}

export class Cursor {
  private at = 0;
  constructor(
    readonly tokens: readonly Token[],
    readonly line: number,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.at++;
    return t;
  }
  atEnd(): boolean {
    return this.peek().type === 'end';
  }
  /** True (and consumes it) if the next token is the operator or name `text`. */
  accept(text: string): boolean {
    const t = this.peek();
    if ((t.type === 'op' || t.type === 'name') && t.text === text) {
      this.at++;
      return true;
    }
    return false;
  }
  isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'op' && t.text === text;
  }
  isName(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'name' && t.text === text;
  }

  fail(expected: string, t: Token = this.peek()): never {
    throw new AsmError(`expected ${expected}, found ${describe(t)}`, this.line, t.column);
  }
  error(message: string, t: Token = this.peek()): never {
    throw new AsmError(message, this.line, t.column);
  }

  expect(text: string, what = `'${text}'`): Token {
    const t = this.peek();
    if (!this.accept(text)) this.fail(what, t);
    return t;
  }
  end(): void {
    if (!this.atEnd()) this.fail('end of line');
  }

  register(what = 'a register'): Register {
    const t = this.peek();
    if (t.type !== 'reg') this.fail(what);
    this.at++;
    return { reg: t.reg!, wide32: t.wide32!, column: t.column };
  }
  /** A register of the given width: `rN` (64) or `wN` (32). */
  registerOf(wide32: boolean, what?: string): number {
    const t = this.peek();
    const r = this.register(what ?? (wide32 ? 'a w register' : 'an r register'));
    if (r.wide32 !== wide32) this.fail(what ?? (wide32 ? 'a w register' : 'an r register'), t);
    return r.reg;
  }

  isNumberStart(ahead = 0): boolean {
    const t = this.peek(ahead);
    if (t.type === 'num') return true;
    return t.type === 'op' && (t.text === '-' || t.text === '+') && this.peek(ahead + 1).type === 'num';
  }
  /** A number with optional sign, as a bigint (no range check). */
  bigNumber(what = 'a number'): bigint {
    const first = this.peek();
    let negative = false;
    if (first.type === 'op' && (first.text === '-' || first.text === '+')) {
      negative = first.text === '-';
      this.at++;
    }
    const t = this.peek();
    if (t.type !== 'num') this.fail(what, first);
    this.at++;
    return negative ? -t.value! : t.value!;
  }
  /** A number in [min, max], returned as a JS number. */
  number(min: number, max: number, what: string): number {
    const t = this.peek();
    const v = this.bigNumber(what);
    if (v < BigInt(min) || v > BigInt(max)) {
      this.error(`${what} ${v} is out of range [${min}, ${max}]`, t);
    }
    return Number(v);
  }
  /** A 32-bit immediate: signed or unsigned spelling, stored as the signed s32 it encodes. */
  imm32(what = 'an immediate'): number {
    return this.number(-0x80000000, 0xffffffff, what) | 0;
  }
  /** A signed 16-bit offset. */
  off16(what = 'an offset'): number {
    return this.number(-0x8000, 0x7fff, what);
  }
  /** A name (identifier) token, e.g. a label. */
  name(what = 'a name'): Token {
    const t = this.peek();
    if (t.type !== 'name') this.fail(what);
    this.at++;
    return t;
  }
}
