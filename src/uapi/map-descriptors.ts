// What each map type is made of, as data: whether it has keys, whether values are per-CPU,
// and what a value stands for (plain bytes, or a reference to a program, map, device, CPU,
// socket or perf event). Facts from the kernel's kernel/bpf/*.c map implementations; no
// behaviour lives here.

import type { MapTypeName } from './map-types.js';

/** What the bytes of a value mean to the kernel. */
export type MapValueKind = 'bytes' | 'prog' | 'map' | 'dev' | 'cpu' | 'socket' | 'perf-event' | 'none';

export interface MapDescriptor {
  /** key_size must be 0 (queue, stack, bloom filter, ring buffer). */
  readonly keyless: boolean;
  /** One value per possible CPU (the syscall side sees round_up(value_size, 8) x CPUs). */
  readonly percpu: boolean;
  readonly value: MapValueKind;
  /** get_next_key walks the indices 0..max_entries-1 (array-like maps). */
  readonly indexed: boolean;
}

const d = (keyless: boolean, percpu: boolean, value: MapValueKind, indexed: boolean): MapDescriptor =>
  Object.freeze({ keyless, percpu, value, indexed });

/** Descriptors of the map types the runtime implements. */
export const MAP_DESCRIPTORS: Readonly<Partial<Record<MapTypeName, MapDescriptor>>> = Object.freeze({
  HASH: d(false, false, 'bytes', false),
  ARRAY: d(false, false, 'bytes', true),
  PROG_ARRAY: d(false, false, 'prog', true),
  PERF_EVENT_ARRAY: d(false, false, 'perf-event', true),
  PERCPU_HASH: d(false, true, 'bytes', false),
  PERCPU_ARRAY: d(false, true, 'bytes', true),
  LRU_HASH: d(false, false, 'bytes', false),
  LRU_PERCPU_HASH: d(false, true, 'bytes', false),
  LPM_TRIE: d(false, false, 'bytes', false),
  ARRAY_OF_MAPS: d(false, false, 'map', true),
  HASH_OF_MAPS: d(false, false, 'map', false),
  DEVMAP: d(false, false, 'dev', true),
  CPUMAP: d(false, false, 'cpu', true),
  XSKMAP: d(false, false, 'socket', true),
  QUEUE: d(true, false, 'bytes', false),
  STACK: d(true, false, 'bytes', false),
  DEVMAP_HASH: d(false, false, 'dev', false),
  RINGBUF: d(true, false, 'none', false),
  BLOOM_FILTER: d(true, false, 'bytes', false),
});

/** The descriptor of a map type, or undefined where the runtime has none. */
export function mapDescriptor(type: MapTypeName): MapDescriptor | undefined {
  return MAP_DESCRIPTORS[type];
}
