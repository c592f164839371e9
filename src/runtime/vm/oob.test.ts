// The out-of-bounds suite (test/oob/*.oob) in the VM, unverified: every case is a program the
// kernel's verifier refuses (src/kernel/oob.test.ts proves it), and run here it must stop with a
// MemoryFault at the marked instruction, in the region the case names — never return, never
// throw anything else. Context-struct cases may instead be refused at load by the context check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OobCase, oobCases, runInput } from '../../../test/gen/oob-cases.js';
import { MemoryFault, VerifierError } from '../../errors.js';
import { type LoadOptions, load } from '../../index.js';
import type { ProgramSpec } from '../../program/index.js';
import { NULL_GUARD } from '../abi.js';
import type { VmCollection } from './collection.js';

/**
 * Asks for no verification. Until load() has such an option the extra field is ignored, and only
 * the context check runs at load (which none but the ctx cases trip).
 */
const UNVERIFIED = { verify: false } as LoadOptions;

/** The kind of place a fault hit: a region kind, or `null` (the null guard) or `code` (above 4 GiB). */
export function faultRegion(e: MemoryFault): string {
  if (e.address < BigInt(NULL_GUARD)) return 'null';
  if (e.address >= 2n ** 32n) return 'code';
  return e.nearest?.split(' ')[0] ?? 'none';
}

/** The C source line of slot `pc` by the program's line info. */
function lineOf(p: ProgramSpec, pc: number): number | undefined {
  let line: number | undefined;
  for (const l of p.lineInfo) if (l.insnOff <= pc) line = l.line;
  return line;
}

function seed(c: VmCollection, k: OobCase): void {
  for (const e of k.entries) {
    const m = c.map(e.map);
    const key = new Uint8Array(m.spec.keySize);
    new DataView(key.buffer).setUint32(0, e.key, true);
    // Per-CPU maps take one value per CPU from user space.
    m.update(key, new Uint8Array(m.map.valueBufferSize));
  }
}

/** Runs one case; returns undefined when it faulted as the case says, else what went wrong. */
export function runCase(k: OobCase): string | undefined {
  let c: VmCollection;
  try {
    c = load(k.spec, UNVERIFIED);
  } catch (e) {
    if (k.fault.region === 'ctx' && e instanceof VerifierError && e.message.includes(k.kernel))
      return undefined;
    return `load threw ${String(e)}`;
  }
  try {
    seed(c, k);
    const program = c.program(k.program);
    let result: unknown;
    try {
      result = program.run(runInput(k));
    } catch (e) {
      if (!(e instanceof MemoryFault)) return `threw ${String(e)}, not a MemoryFault`;
      const region = faultRegion(e);
      if (region !== k.fault.region || e.access !== k.fault.access)
        return `faulted on ${region} ${e.access}, expected ${k.fault.region} ${k.fault.access}: ${e.message}`;
      if ('pc' in k.at) {
        if (e.pc !== k.at.pc) return `faulted at pc ${e.pc}, expected ${k.at.pc}: ${e.message}`;
      } else {
        const line = lineOf(program.spec, e.pc);
        if (line !== k.at.line)
          return `faulted at pc ${e.pc} (${k.at.source}:${line}), expected line ${k.at.line}: ${e.message}`;
      }
      return undefined;
    }
    return `returned ${JSON.stringify(result, (_, v) => (v instanceof Uint8Array ? v.length : v))}`;
  } finally {
    c.close();
  }
}

test('every out-of-bounds case faults in the VM, at its instruction, in its region', () => {
  const cases = oobCases();
  assert.ok(cases.length >= 60, `${cases.length} cases`);
  const failed: string[] = [];
  for (const k of cases) {
    const why = runCase(k);
    if (why !== undefined) failed.push(`${k.file} ${k.name}: ${why}`);
  }
  assert.deepEqual(failed, [], `${failed.length} of ${cases.length} cases did not fault as expected`);
});

test('the harness tells a fault from a return: an in-bounds variant of a case returns', () => {
  const ok = oobCases().find((c) => c.name === 'pkt-read-past-end')!;
  // A 15-byte packet makes byte 14 real: the same program now runs to its exit.
  assert.match(runCase({ ...ok, packet: 15 }) ?? '', /^returned /);
});
