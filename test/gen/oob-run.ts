// Runs a program of the out-of-bounds suite in the VM with verification off and reports how it
// ended: returned, a MemoryFault, refused at load, or any other error; and, by a second run with a
// step hook, which region the faulting access's base pointer belonged to. The expectations live
// in the tests (src/runtime/vm/oob.test.ts, src/runtime/vm/oob-boundary.test.ts), not here.

import { MemoryFault } from '../../src/errors.js';
import type { LoadOptions } from '../../src/index.js';
import { Interpreter } from '../../src/interp/index.js';
import { classify, type Instruction, slots } from '../../src/isa/index.js';
import type { CollectionSpec } from '../../src/program/index.js';
import { NULL_GUARD } from '../../src/runtime/abi.js';
import type { AddressSpace, Region, VmCollection } from '../../src/runtime/index.js';
import { loadUnderTest as load } from '../engines.js';
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

export function runUnverified(r: UnverifiedRun, options: LoadOptions = UNVERIFIED): Outcome {
  let c: VmCollection;
  try {
    c = load(r.spec, options);
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

/** The base register of a memory instruction (src for loads, dst for stores and atomics). */
function baseRegister(i: Instruction): number | undefined {
  const k = classify(i).kind;
  return k === 'load' ? i.src : k === 'store' || k === 'atomic' ? i.dst : undefined;
}

/**
 * The kind of region `addr` points into or one past (r10 and data_end point one past their
 * region): `null` below the null guard, `code` above 4 GiB. Released windows are found through
 * their reservation where the space keeps one (a submitted ring-buffer record: its ring); a
 * pointer in no region belongs to the nearest.
 */
function regionKindAt(space: AddressSpace, addr: bigint): string {
  if (addr < BigInt(NULL_GUARD)) return 'null';
  if (addr >= 2n ** 32n) return 'code';
  const a = Number(addr);
  const reserved = (space as { readonly reservations?: readonly Region[] }).reservations ?? [];
  for (const r of [...space.regions, ...reserved]) if (a >= r.start && a <= r.end) return r.kind;
  // A pointer already moved out (r2 = r10 - 600): the region nearest to it.
  return space.describeNearest(addr)?.split(' ')[0] ?? 'none';
}

/**
 * Runs `r` again with a step hook and returns the kind of region the base pointer of the
 * instruction at `pc` pointed into when it last executed: the region the access missed, however
 * far it landed from it (the fault itself can only name the region nearest to the address).
 */
export function baseRegion(r: UnverifiedRun, pc: number): string | undefined {
  const program = r.spec.programs.find((p) => p.name === r.program)!;
  const bySlot = new Map<number, Instruction>();
  let slot = 0;
  for (const i of program.instructions) {
    bySlot.set(slot, i);
    slot += slots(i);
  }
  const base = baseRegister(bySlot.get(pc)!);
  if (base === undefined) return undefined;
  let kind: string | undefined;
  const engine = (p: readonly Instruction[], o: ConstructorParameters<typeof Interpreter>[1]) =>
    new Interpreter(p, {
      ...o,
      onStep: (at, regs, info) => {
        if (at === pc) kind = regionKindAt(info.memory, regs.get(base));
      },
    });
  runUnverified(r, { ...UNVERIFIED, engine });
  return kind;
}
