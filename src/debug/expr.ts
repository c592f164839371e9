// Expressions of print, watch and breakpoint conditions, in the C-like words of the kernel's
// disassembly: registers (r0-r10, w0-w10 for the low 32 bits), numbers, `*(u32 *)(r10 - 4)`
// loads from memory, `pkt[14]` packet bytes (`pkt`/`pkt_end`: the packet's bounds), `ctx.data`
// context fields by name, `counts[6]` a map's value for a key (a byte string; `*(u64 *)counts[6]`
// reads from it), and the C operators on 64-bit numbers. Parsing and evaluation only: the
// session supplies the state.

import { TsbpfError } from '../errors.js';

export type Value =
  | { readonly kind: 'number'; readonly value: bigint }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly offset: number }
  | { readonly kind: 'none'; readonly what: string };

/** The state an expression reads. */
export interface EvalEnv {
  register(n: number): bigint;
  /** `size` bytes at `addr`; throws when the address is outside the space. */
  read(addr: bigint, size: number): Uint8Array;
  /** The packet's [data, data_end) at this position. */
  packet(): { readonly start: bigint; readonly end: bigint };
  /** The context's address. */
  ctx(): bigint;
  /** A context field by name, or undefined if the context has none of that name. */
  ctxField(name: string): bigint | undefined;
  /** A map's value for `key` (undefined: no entry); throws for an unknown map. */
  mapValue(name: string, key: bigint): Uint8Array | undefined;
  isMap(name: string): boolean;
}

export class ExpressionError extends TsbpfError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

const TYPES: Record<string, { bytes: number; signed: boolean }> = {
  u8: { bytes: 1, signed: false },
  u16: { bytes: 2, signed: false },
  u32: { bytes: 4, signed: false },
  u64: { bytes: 8, signed: false },
  s8: { bytes: 1, signed: true },
  s16: { bytes: 2, signed: true },
  s32: { bytes: 4, signed: true },
  s64: { bytes: 8, signed: true },
};

const TOKEN = /\s*(0x[0-9a-fA-F]+|\d+|[A-Za-z_.][\w.]*|->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>()[\]])/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (m === null) throw new ExpressionError(`cannot read '${text.slice(at).trim()}' in '${text}'`);
    out.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  return out;
}

/** Binary operators by precedence, lowest first (C's order). */
const LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const num = (value: bigint): Value => ({ kind: 'number', value });

/** Evaluates `text` against `env`. */
export function evaluate(text: string, env: EvalEnv): Value {
  const tokens = tokenize(text);
  let k = 0;
  const peek = (): string | undefined => tokens[k];
  const expect = (t: string): void => {
    if (tokens[k] !== t) throw new ExpressionError(`expected '${t}' in '${text}'`);
    k++;
  };
  const toNumber = (v: Value): bigint => {
    if (v.kind === 'number') return v.value;
    if (v.kind === 'none') throw new ExpressionError(v.what);
    throw new ExpressionError(`a byte string is not a number (read it with *(u32 *)...) in '${text}'`);
  };
  const load = (at: Value, type: { bytes: number; signed: boolean }): Value => {
    let bytes: Uint8Array;
    if (at.kind === 'bytes') {
      if (at.offset < 0 || at.offset + type.bytes > at.bytes.length)
        throw new ExpressionError(
          `read of ${type.bytes} bytes at +${at.offset} outside a ${at.bytes.length}-byte value`,
        );
      bytes = at.bytes.subarray(at.offset, at.offset + type.bytes);
    } else bytes = env.read(U64(toNumber(at)), type.bytes);
    let v = 0n;
    for (let b = bytes.length - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[b]!);
    return num(type.signed ? U64(BigInt.asIntN(type.bytes * 8, v)) : v);
  };
  const binary = (op: string, a: Value, b: Value): Value => {
    if (a.kind === 'bytes' && (op === '+' || op === '-'))
      return { ...a, offset: a.offset + Number(op === '+' ? toNumber(b) : -toNumber(b)) };
    const x = toNumber(a);
    const y = toNumber(b);
    const bool = (c: boolean): Value => num(c ? 1n : 0n);
    switch (op) {
      case '||':
        return bool(x !== 0n || y !== 0n);
      case '&&':
        return bool(x !== 0n && y !== 0n);
      case '|':
        return num(x | y);
      case '^':
        return num(x ^ y);
      case '&':
        return num(x & y);
      case '==':
        return bool(x === y);
      case '!=':
        return bool(x !== y);
      case '<':
        return bool(x < y);
      case '<=':
        return bool(x <= y);
      case '>':
        return bool(x > y);
      case '>=':
        return bool(x >= y);
      case '<<':
        return num(U64(x << (y & 63n)));
      case '>>':
        return num(x >> (y & 63n));
      case '+':
        return num(U64(x + y));
      case '-':
        return num(U64(x - y));
      case '*':
        return num(U64(x * y));
      case '/':
      case '%':
        if (y === 0n) throw new ExpressionError(`division by zero in '${text}'`);
        return num(op === '/' ? x / y : x % y);
      default:
        throw new ExpressionError(`unknown operator '${op}'`);
    }
  };
  const parseLevel = (level: number): Value => {
    if (level === LEVELS.length) return unary();
    let left = parseLevel(level + 1);
    while (peek() !== undefined && LEVELS[level]!.includes(peek()!)) {
      const op = tokens[k++]!;
      left = binary(op, left, parseLevel(level + 1));
    }
    return left;
  };
  const unary = (): Value => {
    const t = peek();
    if (t === '-') {
      k++;
      return num(U64(-toNumber(unary())));
    }
    if (t === '~') {
      k++;
      return num(U64(~toNumber(unary())));
    }
    if (t === '!') {
      k++;
      return num(toNumber(unary()) === 0n ? 1n : 0n);
    }
    if (t === '*') {
      k++;
      // *(TYPE *)operand, or *operand as u64.
      if (peek() === '(' && tokens[k + 1] !== undefined && tokens[k + 1]! in TYPES && tokens[k + 2] === '*') {
        const type = TYPES[tokens[k + 1]!]!;
        k += 3;
        expect(')');
        return load(unary(), type);
      }
      return load(unary(), TYPES.u64!);
    }
    return primary();
  };
  const primary = (): Value => {
    const t = tokens[k++];
    if (t === undefined) throw new ExpressionError(`unexpected end of '${text}'`);
    if (t === '(') {
      const v = parseLevel(0);
      expect(')');
      return v;
    }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return num(BigInt(t));
    const reg = /^([rw])(\d+)$/.exec(t);
    if (reg !== null && Number(reg[2]) <= 10) {
      const v = env.register(Number(reg[2]));
      return num(reg[1] === 'w' ? v & 0xffffffffn : v);
    }
    if (t === 'pkt' || t === 'pkt_end') {
      const p = env.packet();
      if (t === 'pkt' && peek() === '[') {
        k++;
        const index = toNumber(parseLevel(0));
        expect(']');
        if (p.start + index >= p.end) return { kind: 'none', what: `pkt[${index}] is past the packet's end` };
        return load(num(p.start + index), TYPES.u8!);
      }
      return num(t === 'pkt' ? p.start : p.end);
    }
    if (t === 'ctx' || t.startsWith('ctx.')) {
      let field = t === 'ctx' ? undefined : t.slice(4);
      if (field === undefined && peek() === '->') {
        k++;
        field = tokens[k++];
      }
      if (field === undefined) return num(env.ctx());
      const v = env.ctxField(field);
      if (v === undefined) throw new ExpressionError(`the context has no field '${field}'`);
      return num(v);
    }
    if (env.isMap(t)) {
      expect('[');
      const key = toNumber(parseLevel(0));
      expect(']');
      const bytes = env.mapValue(t, key);
      return bytes === undefined
        ? { kind: 'none', what: `${t}[${key}]: no entry` }
        : { kind: 'bytes', bytes, offset: 0 };
    }
    throw new ExpressionError(`unknown name '${t}' in '${text}'`);
  };
  const v = parseLevel(0);
  if (k !== tokens.length) throw new ExpressionError(`unexpected '${tokens[k]}' in '${text}'`);
  return v;
}

/** A value as the debugger prints it: decimal and hex for numbers, hex bytes for byte strings. */
export function formatValue(v: Value): string {
  if (v.kind === 'none') return `<${v.what}>`;
  if (v.kind === 'bytes')
    return Array.from(v.bytes.subarray(v.offset), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const signed = BigInt.asIntN(64, v.value);
  return `${signed} (0x${v.value.toString(16)})`;
}
