// Failure reports for the cross-engine property tests: the program as pseudo-C with its initial
// registers and stack, and the words where two engines disagree. Text only; no engine here.

import { hex64 } from '../../src/isa/index.js';
import { type GeneratedProgram, WINDOW } from './program.js';
import { listing } from './pseudo-c.js';

/** Name of result word `w`: r0-r9, then the stack window slots as `fp-64` ... `fp-8`. */
export function wordName(w: number): string {
  return w < 10 ? `r${w}` : `fp${-WINDOW + 8 * (w - 10)}`;
}

/** The differing words, one line each, or '' if the two agree. */
export function diffWords(
  expected: readonly bigint[],
  actual: readonly bigint[],
  names = ['kernel', 'engine'],
): string {
  const lines: string[] = [];
  for (let w = 0; w < Math.max(expected.length, actual.length); w++) {
    if (expected[w] !== actual[w]) {
      const e = expected[w] === undefined ? '-' : hex64(expected[w]!);
      const a = actual[w] === undefined ? '-' : hex64(actual[w]!);
      lines.push(`  ${wordName(w).padEnd(6)} ${names[0]} ${e.padEnd(18)}  ${names[1]} ${a}`);
    }
  }
  return lines.join('\n');
}

/** The generated part of a program: initial state and the body as a pseudo-C listing. */
export function describeProgram(p: GeneratedProgram): string {
  const regs = p.regs.map((v, r) => `r${r}=${hex64(v)}`).join(' ');
  const stack = p.stack.map((v, k) => `${wordName(10 + k)}=${hex64(v)}`).join(' ');
  const how =
    p.opaque === true ? 'loaded from the map value (opaque to the verifier)' : 'set by lddw constants';
  return `initial values ${how}:\n${regs}\n${stack}\nbody (pc 0 = first body insn):\n${listing(p.body)}`;
}
