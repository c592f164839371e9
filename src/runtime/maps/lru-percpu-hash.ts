// BPF_MAP_TYPE_LRU_PERCPU_HASH: the LRU hash with per-CPU values; eviction as in lru-hash.ts,
// per-CPU value rules as in percpu-hash.ts (both come from the descriptor of the type).

import { LruHashMap } from './lru-hash.js';

export class LruPercpuHashMap extends LruHashMap {}
