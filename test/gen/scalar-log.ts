// Reads a scalar register state as the kernel's verifier log prints it (`5`, `P-1`, `0xff...`,
// `scalar(id=2,smin=umin=0,umax=255,var_off=(0x0; 0xff))`) back into a Scalar: a bound not
// printed is the type's limit, joined names share the value, 32-bit signed bounds in hex are
// u32 bit patterns.

import { SCALAR_UNKNOWN, type Scalar, scalarConst } from '../../src/verifier/scalar/index.js';

type Field = 'smin' | 'smax' | 'umin' | 'umax' | 's32min' | 's32max' | 'u32min' | 'u32max';
const FIELD: Record<string, Field> = {
  smin: 'smin',
  smax: 'smax',
  umin: 'umin',
  umax: 'umax',
  smin32: 's32min',
  smax32: 's32max',
  umin32: 'u32min',
  umax32: 'u32max',
};

/** The Scalar a log text stands for, or undefined when the text is not a scalar. */
export function parseScalar(text: string): Scalar | undefined {
  const t = text.replace(/^P/, '');
  if (/^-?\d+$/.test(t) || /^0x[0-9a-f]+$/.test(t)) return scalarConst(BigInt(t));
  const m = /^scalar\((.*)\)$/.exec(t);
  if (m === null) return undefined;
  const r: { -readonly [K in keyof Scalar]: Scalar[K] } = { ...SCALAR_UNKNOWN };
  if (m[1] === '') return r;
  for (const part of m[1]!.split(',')) {
    const names = part.split('=');
    const raw = names.pop()!;
    if (names[0] === 'id') continue;
    if (names[0] === 'var_off') {
      const v = /^\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(raw);
      if (v === null) return undefined;
      r.var = { value: BigInt(v[1]!), mask: BigInt(v[2]!) };
      continue;
    }
    for (const name of names) {
      const f = FIELD[name];
      if (f === undefined) return undefined;
      const n = BigInt(raw);
      const hex = raw.startsWith('0x');
      if (f === 'smin' || f === 'smax') r[f] = hex ? BigInt.asIntN(64, n) : n;
      else if (f === 's32min' || f === 's32max') r[f] = hex ? BigInt.asIntN(32, n) : n;
      else r[f] = n;
    }
  }
  return r;
}
