// Shared pieces of the map tests: a pair of maps of one spec (ours and the kernel's), and
// `outcome()` that reduces any user-side call to a comparable string (value hex, 'none', or
// 'E<errno>'). Holds no tests of its own.
import assert from 'node:assert/strict';
import { TsbpfError } from '../../src/errors.js';
import { bpfAvailability } from '../../src/kernel/available.js';
import { createMap as createKernelMap, type KernelMap, possibleCpuCount } from '../../src/kernel/map.js';
import type { BpfMap } from '../../src/runtime/maps/base.js';
import { createMap } from '../../src/runtime/maps/create.js';
import { MapRegistry } from '../../src/runtime/maps/registry.js';
import type { CreateMapOptions, MapSpecLike } from '../../src/runtime/maps/types.js';
import { AddressSpace } from '../../src/runtime/memory.js';

const avail = bpfAvailability();
/** The skip reason where bpf() is refused, else false. */
export const skip: string | false = avail.ok ? false : avail.reason;
export const cpus = avail.ok ? possibleCpuCount() : 2;

export const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
export const u64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return b;
};
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Reduces a call to a string: a value's hex, 'none' for undefined, 'ok' for void, E<errno> for errors. */
export function outcome(f: () => unknown): string {
  try {
    const r = f();
    if (r instanceof Uint8Array) return hex(r);
    return r === undefined ? 'none' : String(r);
  } catch (e) {
    if (e instanceof TsbpfError && 'errno' in e && typeof e.errno === 'number') return `E${e.errno}`;
    throw e;
  }
}

/** The methods both kinds of map share. */
export interface UserMap {
  lookup(key: Uint8Array): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  delete(key: Uint8Array): void;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
}

export interface Pair {
  readonly ours: BpfMap;
  readonly kern: KernelMap | undefined;
  readonly space: AddressSpace;
  readonly registry: MapRegistry;
  /** Runs `op` on both maps and asserts the same outcome; returns ours. */
  same(what: string, op: (m: UserMap) => unknown): string;
  [Symbol.dispose](): void;
}

/** Our map and (where bpf() works) the kernel's, of the same spec. */
export function pair(spec: MapSpecLike, options: CreateMapOptions = {}): Pair {
  const space = new AddressSpace();
  const registry = new MapRegistry(space);
  const ours = createMap(space, spec, { cpus, registry, ...options });
  const kern = skip
    ? undefined
    : createKernelMap({
        type: spec.type,
        keySize: spec.keySize,
        valueSize: spec.valueSize,
        maxEntries: spec.maxEntries,
        flags: spec.flags ?? 0,
      });
  return {
    ours,
    kern,
    space,
    registry,
    same(what, op) {
      const a = outcome(() => op(ours));
      if (kern !== undefined)
        assert.equal(
          a,
          outcome(() => op(kern)),
          what,
        );
      return a;
    },
    [Symbol.dispose]() {
      ours.close();
      kern?.close();
    },
  };
}

/** All keys of a map as sorted hex strings (hash order differs between implementations). */
export function keySet(m: UserMap): string[] {
  const out: string[] = [];
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
    out.push(hex(k));
    if (out.length > 1e6) throw new Error('runaway key walk');
  }
  return out.sort();
}

/** Keys in walk order. */
export function keyList(m: UserMap): string[] {
  const out: string[] = [];
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) out.push(hex(k));
  return out;
}
