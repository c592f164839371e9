// Soundness of the verifier, tested: a composed program (test/gen/verifier-mixed.ts) that tsbpf's
// verifier accepts must run on the interpreter and the JIT over random packets and random map
// contents without any runtime fault — a MemoryFault would mean the verifier let an
// out-of-bounds access through; anything else thrown would mean it let some other runtime check
// (helper arguments, references, budgets) decide instead. Used by
// src/runtime/vm/verified-soundness.test.ts (CI-sized) and scripts/verifier-soundness.mjs.

import { type EngineName, load } from '../../src/index.js';
import type { VmCollection } from '../../src/runtime/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { generateMixed } from './verifier-mixed.js';

export interface SoundnessFailure {
  readonly seed: number;
  readonly engine: EngineName;
  readonly run: number;
  readonly error: string;
  readonly text: string;
}

export interface SoundnessTally {
  programs: number;
  accepted: number;
  runs: number;
  readonly failures: SoundnessFailure[];
  /** Accepted programs whose two engines returned a different retval or packet on one input. */
  readonly engineDisagreements: number[];
}

/** xorshift32 for the inputs, seeded apart from the program. */
function rng(seed: number): () => number {
  let s = (Math.imul(seed, 0x2545f491) ^ 0x3c6ef372) | 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const bytes = (next: () => number, n: number): Uint8Array =>
  Uint8Array.from({ length: n }, () => next() & 0xff);

/** Random contents: every array index, a random subset of hash keys 0-5 (the generator's keys). */
function fill(c: VmCollection, next: () => number): void {
  for (const spec of c.spec.maps) {
    if (spec.type === 'RINGBUF') continue;
    const m = c.map(spec.name);
    const keys = spec.type === 'HASH' ? [0, 1, 2, 3, 4, 5].filter(() => next() % 2 === 0) : [];
    if (spec.type !== 'HASH') for (let k = 0; k < spec.maxEntries; k++) keys.push(k);
    for (const k of keys) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      m.update(key, bytes(next, m.map.valueBufferSize));
    }
  }
}

/**
 * Runs `inputs` random packets through program `seed` on both engines, if tsbpf accepts it. With
 * `refused`, the other way round (the harness' own check): the programs tsbpf refuses, loaded
 * unverified, whose runs must fault at times.
 */
export function checkSeed(seed: number, inputs: number, tally: SoundnessTally, refused = false): void {
  const g = generateMixed(seed);
  const p = g.spec.programs[0]!;
  const verdict = verifyProgram({
    instructions: p.instructions,
    type: p.type,
    maps: g.spec.maps,
    logLevel: 0,
  });
  tally.programs++;
  if ((verdict.verdict === 'accepted') === refused) return;
  tally.accepted++;
  const results = new Map<EngineName, string[]>();
  for (const engine of ['interp', 'jit'] as const) {
    const next = rng(seed);
    const seen: string[] = [];
    results.set(engine, seen);
    let c: VmCollection;
    try {
      c = load(g.spec, refused ? { engine, verify: false } : { engine });
    } catch (e) {
      tally.failures.push({ seed, engine, run: -1, error: `load: ${String(e)}`, text: g.text });
      continue;
    }
    try {
      fill(c, next);
      const prog = c.program(p.name);
      for (let run = 0; run < inputs; run++) {
        tally.runs++;
        const data = bytes(next, 14 + (next() % 83));
        try {
          const r = prog.run({ data });
          seen.push(`${r.retval}:${Buffer.from(r.data).toString('hex')}`);
        } catch (e) {
          tally.failures.push({ seed, engine, run, error: String(e), text: g.text });
          break;
        }
      }
    } finally {
      c.close();
    }
  }
  const a = results.get('interp')!;
  const b = results.get('jit')!;
  if (a.length === b.length && a.some((x, k) => x !== b[k])) tally.engineDisagreements.push(seed);
}

export function soundness(first: number, count: number, inputs: number, refused = false): SoundnessTally {
  const tally: SoundnessTally = { programs: 0, accepted: 0, runs: 0, failures: [], engineDisagreements: [] };
  for (let seed = first; seed < first + count; seed++) checkSeed(seed, inputs, tally, refused);
  return tally;
}
