// Fuzzes the object loader with truncated and mutated fixtures: the only acceptable outcomes are
// a spec or a LoadError/NotSupportedError (a mutation can turn a section name into one tsbpf
// recognises but does not implement). A load that hangs is caught by the tests' timeout; speed
// itself is not asserted here (a loaded CI machine would make such a bound flaky).

import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { LoadError, NotSupportedError } from '../errors.js';
import { loadCollectionSpec } from './load.js';
import { readElf } from './reader.js';

const root = new URL('../../../', import.meta.url);
const OBJECTS = ['calls', 'calls-be', 'globals', 'legacy', 'mapinmap', 'maps', 'progarray', 'core'].map(
  (n) => new Uint8Array(readFileSync(new URL(`test/fixtures/elf/${n}.o`, root))),
);
/** A hang guard per test, far above any normal run. */
const HANG = { timeout: 120_000 };
let slowest = 0;

function attempt(bytes: Uint8Array): void {
  const t0 = performance.now();
  try {
    loadCollectionSpec(bytes);
  } catch (e) {
    if (!(e instanceof LoadError) && !(e instanceof NotSupportedError)) {
      throw new Error(`escaped: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
  } finally {
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
  }
}

const object = fc.integer({ min: 0, max: OBJECTS.length - 1 });

test('truncated objects give LoadError, never a crash', HANG, () => {
  fc.assert(
    fc.property(object, fc.double({ min: 0, max: 1, noNaN: true }), (k, frac) => {
      const o = OBJECTS[k]!;
      attempt(o.subarray(0, Math.floor(o.length * frac)));
    }),
    { numRuns: 300, seed: 1 },
  );
});

test('random byte mutations anywhere give a spec or a LoadError', HANG, () => {
  fc.assert(
    fc.property(
      object,
      fc.array(
        fc.tuple(
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.integer({ min: 0, max: 255 }),
        ),
        { minLength: 1, maxLength: 16 },
      ),
      (k, edits) => {
        const b = OBJECTS[k]!.slice();
        for (const [at, v] of edits) b[Math.floor(at * b.length)] = v;
        attempt(b);
      },
    ),
    { numRuns: 1500, seed: 2 },
  );
});

/** Byte ranges the loader interprets most: section headers, symbols, relocations, BTF, code. */
function hotRanges(bytes: Uint8Array): [number, number][] {
  const elf = readElf(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const le = elf.littleEndian;
  const shoff = Number(dv.getBigUint64(40, le));
  const out: [number, number][] = [
    [0, 64],
    [shoff, elf.sections.length * 64],
  ];
  for (const s of elf.sections) {
    if (s.size > 0 && s.data.length > 0 && !s.name.startsWith('.debug') && !s.name.startsWith('.rel.debug')) {
      out.push([s.offset, s.size]);
    }
  }
  return out;
}
const HOT = OBJECTS.map(hotRanges);

test('corrupt section tables, symbols, relocations and BTF give a spec or a LoadError', HANG, () => {
  fc.assert(
    fc.property(
      object,
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80)),
        ),
        { minLength: 1, maxLength: 8 },
      ),
      (k, edits) => {
        const b = OBJECTS[k]!.slice();
        const ranges = HOT[k]!;
        for (const [r, at, v] of edits) {
          const [start, len] = ranges[r % ranges.length]!;
          b[start + Math.floor(at * len)] = v;
        }
        attempt(b);
      },
    ),
    { numRuns: 3000, seed: 3 },
  );
});

test('fuzz timing, for the record', (t) => {
  t.diagnostic(`slowest load: ${slowest.toFixed(1)} ms`);
});
