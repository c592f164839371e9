// The shapes the map runtime takes and gives: the spec a map is created from (a subset of
// program/ MapSpec, so a MapSpec fits), the creation options, and batch results.
// The map class itself (BpfMap) is in base.ts; the factory is in create.ts.

import type { MapTypeName } from '../../uapi/map-types.js';
import type { MemoryBudget } from './budget.js';
import type { MapRegistry } from './registry.js';

/** What a map is created from; `MapSpec` from program/ fits structurally. */
export interface MapSpecLike {
  readonly name?: string;
  readonly type: MapTypeName;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** map_extra: the bloom filter's number of hash functions in the low 4 bits. */
  readonly mapExtra?: bigint | undefined;
  /** The template of the maps a map-in-map holds (stands for BPF_MAP_CREATE's inner_map_fd). */
  readonly innerMap?: MapSpecLike | undefined;
}

/**
 * Checks for the references a value can hold. The kernel resolves fds at update time; here a
 * value holds an opaque non-zero id, accepted unless the matching check says no.
 */
export interface MapReferences {
  /** Program ids a prog array (and devmap/cpumap program slot) accepts; unknown: EBADF. */
  readonly program?: (id: number) => boolean;
  /** Interface indices a devmap accepts; unknown: EINVAL (dev_get_by_index failed). */
  readonly device?: (ifindex: number) => boolean;
  /** The RX queue the AF_XDP socket `id` is bound to (its queue_id in an xskmap); unknown: undefined, EBADF. */
  readonly socket?: (id: number) => number | undefined;
}

export interface CreateMapOptions {
  /** Virtual CPUs: per-CPU maps hold this many values; cpumap keys must be below it. Default 2. */
  readonly cpus?: number;
  /** Registers the map (id and handle address); required for map-in-map types. */
  readonly registry?: MapRegistry;
  readonly references?: MapReferences;
  /** The memory limit maps are charged against (ENOMEM past it); none by default. */
  readonly budget?: MemoryBudget;
}

export { MapBatch } from './batch.js';

/** Default number of virtual CPUs. */
export const DEFAULT_CPUS = 2;
