// Plausible programs for the differential test of the two verifiers: packet parsing with and
// without (or with the wrong) data_end checks, map lookups with and without null checks and
// offsets at the edges of the value, stack stores and loads at the edges of the frame, bounded
// loops, variable packet offsets, and pointers compared again or with 0 (a packet pointer found
// past data_end, a context or stack pointer that is never NULL). Deterministic: a seed gives one program. Built as
// assembly text (test/gen/oob-cases.ts macros), so a failing seed prints as readable code.

import type { CollectionSpec, MapSpec } from '../../src/program/index.js';
import type { ProgTypeName } from '../../src/uapi/prog-types.js';
import { asmProgram, assembleCase, mapSpec } from './oob-cases.js';

/**
 * xorshift32: a small deterministic generator. The seed is mixed in by an odd multiplier (a
 * bijection), so every seed starts elsewhere (`seed | 1` gave seeds 2k and 2k + 1 one program).
 */
export function rng(seed: number): () => number {
  let s = Math.imul(seed, 0x9e3779b1) >>> 0 || 0x2545f491;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A generated program `gen` of `type` from its assembly lines. */
export function generated(
  seed: number,
  lines: readonly string[],
  type: ProgTypeName,
  maps: readonly MapSpec[],
): GeneratedProgram {
  const text = lines.join('\n');
  const { instructions } = assembleCase(text);
  return {
    seed,
    text,
    spec: {
      programs: [asmProgram('gen', type, instructions)],
      maps: [...maps],
      variables: [],
      license: 'GPL',
    },
  };
}

export interface GeneratedProgram {
  readonly seed: number;
  readonly text: string;
  readonly spec: CollectionSpec;
}

const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;
const CONDS = ['>', '>=', '<', '<='] as const;

export function generateProgram(seed: number): GeneratedProgram {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const size = pick(SIZES);
  const lines: string[] = [];
  const kind = int(0, 5);
  if (kind === 0) {
    // Packet: data + n checked (some comparison, either operand order) then an access at off.
    const n = int(0, 24);
    const off = int(-2, 24);
    const cond = pick(CONDS);
    const swapped = next() % 2 === 0;
    const check = next() % 6 !== 0;
    lines.push('r0 = 0', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', `r4 += ${n}`);
    if (check) lines.push(swapped ? `if r3 ${cond} r4 goto +2` : `if r4 ${cond} r3 goto +2`);
    else lines.push('goto +0', 'goto +0');
    if (next() % 2 === 0) lines.push(`r0 = *(${size} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})`);
    else lines.push(`*(${size} *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)}) = r0`);
    lines.push('r0 = 0', 'exit');
  } else if (kind === 1) {
    // Map lookup: a key on the stack, maybe a null check, an access at off into the value.
    const off = int(-4, 20);
    lines.push('r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map(m) ll', 'call 1');
    const check = int(0, 3);
    if (check === 0) lines.push('if r0 == 0 goto +2');
    else if (check === 1) lines.push('if r0 != 0 goto +2');
    else if (check === 2) lines.push('goto +0');
    else lines.push('if r0 == 0 goto +2');
    lines.push(`r1 = *(${size} *)(r0 ${off < 0 ? '-' : '+'} ${Math.abs(off)})`, 'r0 = 0', 'r0 = 0', 'exit');
  } else if (kind === 2) {
    // Stack: a store and a load at the edges of the frame.
    const at = -int(0, 66) * 8 + int(0, 8) - (next() % 2) * 448;
    const at2 = next() % 2 === 0 ? at : at - 8;
    const s2 = pick(SIZES);
    lines.push('r1 = 7', `*(${size} *)(r10 ${at < 0 ? '-' : '+'} ${Math.abs(at)}) = r1`);
    lines.push(`r0 = *(${s2} *)(r10 ${at2 < 0 ? '-' : '+'} ${Math.abs(at2)})`, 'exit');
  } else if (kind === 3) {
    // A bounded loop reading the packet behind one check.
    const n = int(1, 40);
    const need = int(1, 8);
    lines.push('r0 = 0', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', `r4 += ${need}`);
    lines.push(
      'if r4 > r3 goto +5',
      'r5 = 0',
      `r1 = *(${size} *)(r2 + 0)`,
      'r5 += 1',
      `if r5 < ${n} goto -3`,
      'r0 = r5',
    );
    lines.push('exit');
  } else if (kind === 5) {
    if (next() % 2 === 0) {
      // A packet pointer compared with data_end (maybe twice), then read through itself: on the
      // edge where it is past the end it reaches nothing (AT_PKT_END, BEYOND_PKT_END).
      const n = int(1, 16);
      const back = int(0, n);
      const twice = next() % 2 === 0;
      const cond = () => pick(CONDS);
      const test = (to: string) =>
        next() % 2 === 0 ? `if r4 ${cond()} r3 goto ${to}` : `if r3 ${cond()} r4 goto ${to}`;
      lines.push('r0 = 0', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', `r4 += ${n}`);
      lines.push(test('first'), 'r0 = 0', 'exit', 'first:');
      if (twice) lines.push(test('second'), 'r0 = 1', 'exit', 'second:');
      lines.push(`r0 = *(${size} *)(r4 - ${back})`, 'exit');
    } else {
      // A pointer compared with 0, an uninitialised register read where it would be NULL: the
      // kernel decides the comparison for map values only (reg_not_null), so the context and
      // stack pointers' NULL edge is walked.
      const ptr = pick(['r1', 'r10', 'r0']);
      if (ptr === 'r0')
        lines.push('r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map(m) ll', 'call 1');
      lines.push(`r6 = ${ptr}`, 'if r6 == 0 goto +2');
      if (ptr === 'r0') lines.push('if r6 != 0 goto +1');
      lines.push('r0 = 2', 'exit', 'r0 = r9', 'exit');
    }
  } else {
    // A variable packet offset: a masked byte added to data, then its own check (or not).
    const mask = pick([3, 7, 15, 31, 255, 0xffff]);
    const n = int(1, 8);
    lines.push('r0 = 0', 'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 1');
    lines.push(
      'if r4 > r3 goto +7',
      'r5 = *(u8 *)(r2 + 0)',
      `r5 &= ${mask}`,
      'r2 += r5',
      'r4 = r2',
      `r4 += ${n}`,
    );
    lines.push(next() % 4 === 0 ? 'goto +0' : 'if r4 > r3 goto +1', `r0 = *(${size} *)(r2 + 0)`, 'exit');
  }
  return generated(seed, lines, 'XDP', kind === 1 || kind === 5 ? [mapSpec('m', 'HASH', 4, 16, 8)] : []);
}
