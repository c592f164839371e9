// Runs a program of the out-of-bounds suite in the VM with verification off and reports how it
// ended: returned, a MemoryFault, refused at load, or any other error. The expectations live in
// the tests (src/runtime/vm/oob.test.ts, src/runtime/vm/oob-boundary.test.ts), not here.

import { MemoryFault } from '../../src/errors.js';
import { type LoadOptions, load } from '../../src/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import { NULL_GUARD } from '../../src/runtime/abi.js';
import type { VmCollection } from '../../src/runtime/index.js';
import { runInput } from './oob-cases.js';

/** No verification: the VM alone must stop every bad access. */
export const UNVERIFIED: LoadOptions = { verify: false };

export type Outcome =
  | { readonly kind: 'returned'; readonly retval: number }
  | { readonly kind: 'fault'; readonly fault: MemoryFault }
  | { readonly kind: 'refused'; readonly error: unknown }
  | { readonly kind: 'error'; readonly error: unknown };

export interface UnverifiedRun {
  readonly spec: CollectionSpec;
  readonly program: string;
  readonly packet: number;
  readonly meta: number;
  /** Zeroed values to store at u32 keys before the run. */
  readonly entries?: readonly { readonly map: string; readonly key: number }[];
}

function seed(c: VmCollection, entries: UnverifiedRun['entries']): void {
  for (const e of entries ?? []) {
    const m = c.map(e.map);
    const key = new Uint8Array(m.spec.keySize);
    new DataView(key.buffer).setUint32(0, e.key, true);
    // Per-CPU maps take one value per CPU from user space.
    m.update(key, new Uint8Array(m.map.valueBufferSize));
  }
}

export function runUnverified(r: UnverifiedRun): Outcome {
  let c: VmCollection;
  try {
    c = load(r.spec, UNVERIFIED);
  } catch (error) {
    return { kind: 'refused', error };
  }
  try {
    seed(c, r.entries);
    return { kind: 'returned', retval: c.program(r.program).run(runInput(r)).retval };
  } catch (error) {
    return error instanceof MemoryFault ? { kind: 'fault', fault: error } : { kind: 'error', error };
  } finally {
    c.close();
  }
}

/** Where a fault hit: `null` (the null guard), `code` (above 4 GiB), else the nearest region's kind. */
export function faultRegion(e: MemoryFault): string {
  if (e.address < BigInt(NULL_GUARD)) return 'null';
  if (e.address >= 2n ** 32n) return 'code';
  return e.nearest?.split(' ')[0] ?? 'none';
}

/** One line for a report. */
export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'returned':
      return `returned ${o.retval}`;
    case 'fault':
      return `MemoryFault: ${o.fault.message}`;
    case 'refused':
      return `refused at load: ${String(o.error)}`;
    case 'error':
      return `threw ${String(o.error)}`;
  }
}
