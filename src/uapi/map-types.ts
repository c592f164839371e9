// Map types (enum bpf_map_type).
// Values from the kernel's uapi <linux/bpf.h> (6.1 header plus the values added up to 6.18).
// Names drop the common prefix (BPF_MAP_TYPE_); the *Name() function maps a number back.

export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
  ARENA: 33,
} as const;

export type MapTypeName = keyof typeof MapType;

const names = new Map<number, MapTypeName>(Object.entries(MapType).map(([k, v]) => [v, k as MapTypeName]));

/** The name of a MapType value, or undefined if unknown. */
export function mapTypeName(value: number): MapTypeName | undefined {
  return names.get(value);
}
