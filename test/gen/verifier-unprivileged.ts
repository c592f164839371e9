// Plausible socket filters for the differential test of unprivileged loading (the kernel's side
// runs as nobody: test/gen/unprivileged-kernel.ts): map value and stack pointers moved by
// immediates and by registers (one sign or mixed, bounded or not, different on two paths), a
// stack pointer subtracted from, pointers leaked into a map, the return value or a comparison,
// branches the verifier decides with unsafe code behind them (walked under speculation by the
// kernel), scalars stored to the stack and read back as offsets, helpers unprivileged loads may
// not call, and loops. Deterministic: a seed gives one program.

import type { CollectionSpec } from '../../src/program/index.js';
import { asmProgram, assembleCase, mapSpec } from './oob-cases.js';
import { rng } from './verifier-programs.js';

export interface GeneratedUnprivileged {
  readonly seed: number;
  readonly text: string;
  readonly spec: CollectionSpec;
}

/** A lookup in `m` (16-byte values) with the value pointer in r0, or exit 0 on NULL (at `out`). */
const LOOKUP = [
  'r1 = 0',
  '*(u32 *)(r10 - 4) = r1',
  'r2 = r10',
  'r2 += -4',
  'r1 = map(m) ll',
  'call 1',
  'if r0 == 0 goto out',
];
const OUT = ['out:', 'r0 = 0', 'exit'];
const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;

export function generateUnprivileged(seed: number): GeneratedUnprivileged {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  const sign = (n: number) => (n < 0 ? `- ${-n}` : `+ ${n}`);
  const lines: string[] = [];
  const kind = int(0, 6);
  if (kind === 0) {
    // A map value pointer moved by a scalar read from the value: masked, shifted to mixed sign,
    // or left unbounded; added or subtracted, through the pointer or into the scalar.
    lines.push(...LOOKUP, 'r1 = *(u32 *)(r0 + 0)');
    const shape = int(0, 4);
    if (shape === 0) lines.push(`r1 &= ${pick([1, 3, 7, 15, 31])}`);
    else if (shape === 1) lines.push(`r1 &= ${pick([3, 7, 15])}`, `r1 -= ${int(1, 8)}`);
    else if (shape === 2) lines.push(`if r1 > ${int(0, 20)} goto out`);
    else if (shape === 3) lines.push('r1 = 4');
    const op = pick(['+=', '+=', '-=']);
    if (next() % 4 === 0 && op === '+=') lines.push('r1 += r0', 'r0 = r1');
    else lines.push(`r0 ${op} r1`);
    lines.push(`r1 = *(${pick(SIZES)} *)(r0 ${sign(int(-4, 16))})`, ...OUT);
  } else if (kind === 1) {
    // Two paths reach one pointer addition with different offsets (or the same).
    const a = int(0, 8);
    const b = next() % 2 === 0 ? a : int(0, 8);
    lines.push(...LOOKUP, 'r2 = *(u32 *)(r0 + 0)', `r1 = ${a}`, 'if r2 > 7 goto join', `r1 = ${b}`);
    lines.push(
      'join:',
      next() % 2 === 0 ? 'r0 += r1' : 'r1 &= 15',
      'r0 += r1',
      `r1 = *(u8 *)(r0 + ${int(0, 8)})`,
      ...OUT,
    );
  } else if (kind === 2) {
    // A stack pointer moved by immediates (maybe out of the frame on the way) or a register.
    const first = pick([-520, -512, -16, -8, 0, 8, 16]);
    const second = int(-16, 16);
    lines.push('r2 = r10', `r2 += ${first}`);
    const how = int(0, 3);
    if (how === 0) lines.push(`r2 += ${second}`);
    else if (how === 1) lines.push(`r2 -= ${second}`);
    else if (how === 2) lines.push(`r3 = ${second}`, 'r2 += r3');
    else lines.push('r3 = *(u32 *)(r1 + 0)', 'r3 &= 7', 'r2 += r3');
    lines.push('r1 = 0', `*(${pick(SIZES)} *)(r2 + 0) = r1`, 'r0 = 0', 'exit');
  } else if (kind === 3) {
    // A pointer where unprivileged loads may not put one.
    const what = int(0, 5);
    if (what === 0) lines.push(...LOOKUP, '*(u64 *)(r0 + 0) = r10', ...OUT);
    else if (what === 1) lines.push('r0 = r10', 'r0 += -8', 'exit');
    else if (what === 2) lines.push('r2 = r10', 'if r2 == r1 goto +1', 'r0 = 1', 'r0 = 0', 'exit');
    else if (what === 3) lines.push('r2 = r10', 'r2 -= r1', 'r0 = 0', 'exit');
    else if (what === 4) lines.push('w2 = w10', 'r0 = 0', 'exit');
    else lines.push('*(u64 *)(r10 - 8) = r1', 'r0 = *(u64 *)(r10 - 8)', 'r0 = 0', 'exit');
  } else if (kind === 4) {
    // A branch the verifier decides, with an out-of-frame read or a bad map access behind it.
    const v = int(0, 3);
    lines.push(`r2 = ${v}`, `if r2 ${pick(['==', '!=', '>', '<'])} ${int(0, 3)} goto skip`);
    lines.push(next() % 2 === 0 ? `r0 = *(u8 *)(r10 - ${pick([8, 600])})` : 'r0 = *(u8 *)(r1 + 4000)');
    lines.push('skip:', 'r0 = 0', 'exit');
  } else if (kind === 5) {
    // A scalar stored to the stack and read back as a bounded offset (unprivileged, not spilled).
    lines.push(...LOOKUP, 'r1 = *(u32 *)(r0 + 0)', 'r1 &= 7', `*(u64 *)(r10 - 16) = r1`);
    lines.push(
      `r1 = *(${pick(['u64', 'u32', 'u8'])} *)(r10 - 16)`,
      'r0 += r1',
      'r1 = *(u8 *)(r0 + 0)',
      ...OUT,
    );
  } else {
    // A helper (some only CAP_BPF or CAP_PERFMON loads may call), or a loop.
    if (next() % 3 === 0) lines.push('r0 = 0', 'r1 = 3', 'r1 -= 1', 'if r1 != 0 goto -2', 'exit');
    else {
      const id = pick([5, 6, 7, 8, 93, 94]);
      lines.push('r1 = 0', '*(u64 *)(r10 - 8) = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0');
      lines.push(`call ${id}`, 'r0 = 0', 'exit');
    }
  }
  const text = lines.join('\n');
  const { instructions } = assembleCase(text);
  return {
    seed,
    text,
    spec: {
      programs: [asmProgram('gen', 'SOCKET_FILTER', instructions)],
      maps: text.includes('map(m)') ? [mapSpec('m', 'ARRAY', 4, 16, 4)] : [],
      variables: [],
      license: 'GPL',
    },
  };
}
