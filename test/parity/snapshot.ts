// A map's contents as the parity test compares them: the get_next_key walk and a lookup of every
// key, with values as hex (masked bytes '--', PROG_ARRAY and map-of-maps ids as names), plus what
// the walk cannot show: a queue's or stack's head (lookup without a key) and a bloom filter's
// answers for probe values. compareSnapshots names the first difference.

import type { MapSpec } from '../../src/program/index.js';
import { errnoName } from '../../src/uapi/index.js';
import { firstDiff, hex } from './diff.js';
import { maskHex, type ValueMask } from './masks.js';
import { errnoOf, type Side } from './sides.js';

export interface MapSnapshot {
  /** 'ok', or the errno name when get_next_key was refused (e.g. queues, ring buffers). */
  readonly walk: string;
  /** Keys as hex in iteration order. */
  readonly keys: readonly string[];
  /** key hex -> value text: hex (masked), `prog:NAME`/`map:NAME`, 'none' or an errno name. */
  readonly values: ReadonlyMap<string, string>;
  /** QUEUE/STACK: the head. */
  readonly head?: string;
  /** BLOOM_FILTER: probe value hex -> 'yes' | 'no' | errno name. */
  readonly probes?: ReadonlyMap<string, string>;
}

/** Map types whose keys are indices 0..max_entries-1, walked in that order by both backends. */
const ARRAY_LIKE = new Set([
  'ARRAY',
  'PERCPU_ARRAY',
  'PROG_ARRAY',
  'ARRAY_OF_MAPS',
  'DEVMAP',
  'CPUMAP',
  'XSKMAP',
  'PERF_EVENT_ARRAY',
  'CGROUP_ARRAY',
]);
const PERCPU = new Set(['PERCPU_ARRAY', 'PERCPU_HASH', 'LRU_PERCPU_HASH']);

/** True when the walk shows the contents (so the map counts as compared entry by entry). */
export const walkable = (s: MapSnapshot): boolean => s.walk === 'ok';

function valueText(side: Side, spec: MapSpec, v: Uint8Array, mask: ValueMask | undefined): string {
  const id = (kind: 'prog' | 'map') => {
    const n = new DataView(v.buffer, v.byteOffset, v.length).getUint32(0, true);
    return `${kind}:${side.idName(kind, n) ?? `#${n} (unknown id)`}`;
  };
  if (spec.type === 'PROG_ARRAY') return id('prog');
  if (spec.type === 'ARRAY_OF_MAPS' || spec.type === 'HASH_OF_MAPS') return id('map');
  const stride = PERCPU.has(spec.type) ? Math.ceil(spec.valueSize / 8) * 8 : v.length;
  return maskHex(hex(v), mask, stride);
}

export function snapshot(
  side: Side,
  mapName: string,
  mask: ValueMask | undefined,
  probeValues: readonly Uint8Array[],
): MapSnapshot {
  const m = side.collection.maps.get(mapName)!;
  const spec = m.spec;
  const keys: string[] = [];
  const values = new Map<string, string>();
  let walk = 'ok';
  try {
    // Bounded: a walk that does not end after max_entries keys is itself a difference.
    let k = m.nextKey();
    for (let n = 0; k !== undefined && n <= spec.maxEntries; n++, k = m.nextKey(k)) {
      const key = hex(k);
      keys.push(key);
      let text: string;
      try {
        const v = m.lookup(k);
        text = v === undefined ? 'none' : valueText(side, spec, v, mask);
      } catch (e) {
        text = errnoName(errnoOf(e));
      }
      values.set(key, text);
    }
  } catch (e) {
    walk = errnoName(errnoOf(e));
  }
  let head: string | undefined;
  if (spec.type === 'QUEUE' || spec.type === 'STACK') {
    try {
      const v = m.lookup(new Uint8Array(0));
      head = v === undefined ? 'none' : hex(v);
    } catch (e) {
      head = errnoName(errnoOf(e));
    }
  }
  let probes: Map<string, string> | undefined;
  if (spec.type === 'BLOOM_FILTER') {
    probes = new Map();
    for (const p of probeValues) {
      if (p.length !== spec.valueSize) continue;
      const r = side.probe(mapName, p);
      probes.set(hex(p), r === true ? 'yes' : r === false ? 'no' : errnoName(r));
    }
  }
  return {
    walk,
    keys,
    values,
    ...(head === undefined ? {} : { head }),
    ...(probes === undefined ? {} : { probes }),
  };
}

/** The first difference between the VM's and the kernel's snapshot of one map, or undefined. */
export function compareSnapshots(spec: MapSpec, vm: MapSnapshot, kernel: MapSnapshot): string | undefined {
  if (vm.walk !== kernel.walk) return `get_next_key walk: vm ${vm.walk}, kernel ${kernel.walk}`;
  if (ARRAY_LIKE.has(spec.type)) {
    const n = Math.max(vm.keys.length, kernel.keys.length);
    for (let k = 0; k < n; k++) {
      if (vm.keys[k] !== kernel.keys[k])
        return `key #${k} of the walk: vm ${vm.keys[k] ?? 'end'}, kernel ${kernel.keys[k] ?? 'end'}`;
    }
  } else {
    // Hash-like maps iterate in bucket order, which differs by backend: compare as sets.
    const only = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x)).sort();
    const vmOnly = only(vm.keys, kernel.keys);
    const kernelOnly = only(kernel.keys, vm.keys);
    if (vm.keys.length !== new Set(vm.keys).size) return `vm walk repeats a key (${vm.keys.join(' ')})`;
    if (kernel.keys.length !== new Set(kernel.keys).size)
      return `kernel walk repeats a key (${kernel.keys.join(' ')})`;
    if (vmOnly.length > 0 || kernelOnly.length > 0)
      return `keys only in vm: [${vmOnly.join(' ')}], only in kernel: [${kernelOnly.join(' ')}]`;
  }
  for (const key of [...vm.keys].sort()) {
    const d = firstDiff(vm.values.get(key)!, kernel.values.get(key)!);
    if (d !== undefined) return `value of key ${key}: ${d}`;
  }
  if (vm.head !== kernel.head) return `head (lookup without key): vm ${vm.head}, kernel ${kernel.head}`;
  for (const [p, answer] of vm.probes ?? []) {
    const k = kernel.probes?.get(p);
    if (answer !== k) return `bloom probe ${p}: vm ${answer}, kernel ${k}`;
  }
  return undefined;
}
