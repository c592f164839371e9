// The out-of-bounds suite (test/oob/*.oob) in the VM, unverified: every case is a program the
// kernel's verifier refuses (src/kernel/oob.test.ts proves it), and run here it must stop with a
// MemoryFault at the marked instruction, in the region the case names — never return, never
// throw anything else (context-struct cases too: with verify off nothing refuses them at load).
// The region is the one the access's base pointer was in (a second run with a step hook finds
// it); the fault's own nearest region is only reported, since a far miss lands nearer another.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OobCase, oobCases } from '../../../test/gen/oob-cases.js';
import { baseRegion, describeOutcome, faultRegion, runUnverified } from '../../../test/gen/oob-run.js';

/** Cases whose fault named a nearest region other than the one the access missed. */
const misnamed: string[] = [];

/** Runs one case; returns undefined when it faulted as the case says, else what went wrong. */
function check(k: OobCase): string | undefined {
  const o = runUnverified(k);
  if (o.kind !== 'fault') return describeOutcome(o);
  const e = o.fault;
  if (e.access !== k.fault.access)
    return `faulted on a ${e.access}, expected a ${k.fault.access}: ${e.message}`;
  if (!e.message.startsWith(`pc ${e.pc}: `)) return `the fault does not name its pc: ${e.message}`;
  if ('pc' in k.at) {
    if (e.pc !== k.at.pc) return `faulted at pc ${e.pc}, expected ${k.at.pc}: ${e.message}`;
  } else {
    // The fault itself names the C line (from bpf_line_info): the one marked FAULT.
    const want = `${k.at.source}:${k.at.line}: `;
    if (!e.source?.startsWith(want) || !e.source.includes('FAULT'))
      return `faulted at pc ${e.pc} (${e.source ?? 'no source line'}), expected ${want}: ${e.message}`;
  }
  const region = baseRegion(k, e.pc);
  if (region !== k.fault.region) return `the access missed a ${region} region, expected ${k.fault.region}`;
  const named = faultRegion(e);
  if (named !== region) misnamed.push(`${k.name}: missed ${region}, named ${named} (${e.nearest})`);
  return undefined;
}

test('every out-of-bounds case faults in the VM, at its instruction, in its region', (t) => {
  const cases = oobCases();
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  const failed: string[] = [];
  for (const k of cases) {
    const why = check(k);
    if (why !== undefined) failed.push(`${k.file} ${k.name}: ${why}`);
  }
  for (const m of misnamed) t.diagnostic(`fault names a nearest region other than the one missed: ${m}`);
  assert.deepEqual(failed, [], `${failed.length} of ${cases.length} cases did not fault as expected`);
});

test('the harness tells a fault from a return: an in-bounds variant of a case returns', () => {
  const k = oobCases().find((c) => c.name === 'pkt-read-past-end')!;
  // A 15-byte packet makes byte 14 real: the same program now runs to its exit.
  assert.match(check({ ...k, packet: 15 }) ?? '', /^returned 2$/);
});
