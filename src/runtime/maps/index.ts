// The map runtime: BpfMap and one class per map type, the factory, the registry that resolves
// handle addresses, flags. Helpers (map_lookup_elem, ringbuf_*, perf_event_output,
// tail_call) build on these; they live elsewhere.
export * from './array.js';
export * from './array-of-maps.js';
export * from './base.js';
export * from './bloom-filter.js';
export * from './cpumap.js';
export * from './create.js';
export * from './devmap.js';
export * from './devmap-hash.js';
export * from './hash.js';
export * from './hash-of-maps.js';
export * from './lpm-trie.js';
export * from './lru-hash.js';
export * from './lru-percpu-hash.js';
export * from './percpu-array.js';
export * from './percpu-hash.js';
export * from './perf-event-array.js';
export * from './prog-array.js';
export * from './queue.js';
export * from './registry.js';
export * from './ringbuf.js';
export * from './stack.js';
export * from './types.js';
export * from './xskmap.js';
