// The out-of-bounds suite (test/oob/*.oob) in the VM, unverified: every case is a program the
// kernel's verifier refuses (src/kernel/oob.test.ts proves it), and run here it must stop with a
// MemoryFault at the marked instruction, in the region the case names — never return, never
// throw anything else (context-struct cases too: with verify off nothing refuses them at load).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OobCase, oobCases } from '../../../test/gen/oob-cases.js';
import { describeOutcome, faultRegion, runUnverified } from '../../../test/gen/oob-run.js';
import type { ProgramSpec } from '../../program/index.js';

/** The C source line of slot `pc` by the program's line info. */
function lineOf(p: ProgramSpec, pc: number): number | undefined {
  let line: number | undefined;
  for (const l of p.lineInfo) if (l.insnOff <= pc) line = l.line;
  return line;
}

/** Runs one case; returns undefined when it faulted as the case says, else what went wrong. */
function check(k: OobCase): string | undefined {
  const o = runUnverified(k);
  if (o.kind !== 'fault') return describeOutcome(o);
  const e = o.fault;
  const region = faultRegion(e);
  if (region !== k.fault.region || e.access !== k.fault.access)
    return `faulted on ${region} ${e.access}, expected ${k.fault.region} ${k.fault.access}: ${e.message}`;
  if ('pc' in k.at)
    return e.pc === k.at.pc ? undefined : `faulted at pc ${e.pc}, expected ${k.at.pc}: ${e.message}`;
  const line = lineOf(k.spec.programs[0]!, e.pc);
  return line === k.at.line
    ? undefined
    : `faulted at pc ${e.pc} (${k.at.source}:${line}), expected line ${k.at.line}: ${e.message}`;
}

test('every out-of-bounds case faults in the VM, at its instruction, in its region', () => {
  const cases = oobCases();
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  const failed: string[] = [];
  for (const k of cases) {
    const why = check(k);
    if (why !== undefined) failed.push(`${k.file} ${k.name}: ${why}`);
  }
  assert.deepEqual(failed, [], `${failed.length} of ${cases.length} cases did not fault as expected`);
});

test('the harness tells a fault from a return: an in-bounds variant of a case returns', () => {
  const k = oobCases().find((c) => c.name === 'pkt-read-past-end')!;
  // A 15-byte packet makes byte 14 real: the same program now runs to its exit.
  assert.match(check({ ...k, packet: 15 }) ?? '', /^returned 2$/);
});
