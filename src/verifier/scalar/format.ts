// A scalar as the kernel's verifier log prints it (kernel/bpf/log.c, Linux 6.18: print_reg_state
// and print_scalar_ranges): a constant as its number (`P` first when precise), otherwise
// `scalar(...)` with each range bound that is not the type's limit, bounds of equal value joined
// (`smin=umin=0`), numbers in decimal within 16 bits and in hex beyond, and the tnum when some bit
// is known. Register ids are the interpreter's business and are passed in.

import { u32 } from '../../isa/index.js';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, type Scalar, U32_MAX, U64_MAX } from './scalar.js';
import { formatTnum, tnumIsConst, tnumIsUnknown } from './tnum.js';

const isUnumDecimal = (v: bigint): boolean => v <= 0xffffn;
const isSnumDecimal = (v: bigint): boolean => v >= -0x8000n && v <= 0x7fffn;
const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;
const unum = (v: bigint): string => (isUnumDecimal(v) ? v.toString() : hex(v));
const snum = (v: bigint): string => (isSnumDecimal(v) ? v.toString() : hex(v));

export interface FormatScalarOptions {
  /** The precision mark of the kernel's backtracking ("P" before a constant). */
  readonly precise?: boolean;
  /** The register's id for linked scalars (`id=N`), 0 for none. */
  readonly id?: number;
}

/** The scalar as the kernel's log writes it after `R<n>=`. */
export function formatScalar(s: Scalar, options: FormatScalarOptions = {}): string {
  if (tnumIsConst(s.var)) return `${options.precise ? 'P' : ''}${snum(BigInt.asIntN(64, s.var.value))}`;
  const parts: string[] = [];
  if (options.id) parts.push(`id=${options.id}`);
  const ranges = formatRanges(s);
  if (ranges !== '') parts.push(ranges);
  if (!tnumIsUnknown(s.var)) parts.push(`var_off=${formatTnum(s.var)}`);
  return `${options.precise ? 'P' : ''}scalar(${parts.join(',')})`;
}

interface Bound {
  readonly name: string;
  /** Signed bounds as signed values, unsigned as unsigned; 32-bit signed ones shown in hex are
   * shown without sign extension (the kernel prints smin32=0xfffffffe, not 0xff...fe). */
  readonly value: bigint;
  readonly signed: boolean;
  omit: boolean;
}

function formatRanges(s: Scalar): string {
  const s32shown = (v: bigint) => (isSnumDecimal(v) ? v : u32(v));
  const bounds: Bound[] = [
    { name: 'smin', value: s.smin, signed: true, omit: s.smin === S64_MIN },
    { name: 'smax', value: s.smax, signed: true, omit: s.smax === S64_MAX },
    { name: 'umin', value: s.umin, signed: false, omit: s.umin === 0n },
    { name: 'umax', value: s.umax, signed: false, omit: s.umax === U64_MAX },
    { name: 'smin32', value: s32shown(s.s32min), signed: true, omit: s.s32min === S32_MIN },
    { name: 'smax32', value: s32shown(s.s32max), signed: true, omit: s.s32max === S32_MAX },
    { name: 'umin32', value: s.u32min, signed: false, omit: s.u32min === 0n },
    { name: 'umax32', value: s.u32max, signed: false, omit: s.u32max === U32_MAX },
  ];
  // The kernel compares the bounds as u64 bit patterns plus their sign: -1 (signed) and
  // 0xffffffffffffffff (unsigned) differ, 5 and 5 are joined.
  const bits = (b: Bound) => BigInt.asUintN(64, b.value);
  const negative = (b: Bound) => b.signed && BigInt.asIntN(64, b.value) < 0n;
  const out: string[] = [];
  for (let i = 0; i < bounds.length; i++) {
    const m1 = bounds[i]!;
    if (m1.omit) continue;
    let text = `${m1.name}=`;
    // Only bounds of the same kind (min with min, max with max) are joined.
    for (let j = i + 2; j < bounds.length; j += 2) {
      const m2 = bounds[j]!;
      if (m2.omit) continue;
      if (negative(m1) === negative(m2) && bits(m1) === bits(m2)) {
        text += `${m2.name}=`;
        m2.omit = true;
      }
    }
    text += m1.signed ? snum(BigInt.asIntN(64, m1.value)) : unum(m1.value);
    out.push(text);
  }
  return out.join(',');
}
