// The memory limit of a load (load option `memoryLimit`), as the kernel charges map memory to
// the loader's memcg (or, before 5.11, RLIMIT_MEMLOCK) and fails BPF_MAP_CREATE with ENOMEM past
// it. Maps are charged what the kernel would allocate for them (every value preallocated), not
// what the VM has committed so far: the same load fails under the same limit on both backends.

import { TsbpfError } from '../../errors.js';
import { round8 } from '../../uapi/map-flags.js';
import type { MapSpecLike } from './types.js';

/** The kernel's per-element overhead of a preallocated hash element (struct htab_elem, x86-64). */
const HTAB_ELEM_BYTES = 48;

/** What BPF_MAP_CREATE of `spec` allocates in the kernel, roughly (values, keys, element headers). */
export function mapCharge(spec: MapSpecLike, cpus: number): number {
  const value = round8(spec.valueSize);
  const n = spec.maxEntries;
  switch (spec.type) {
    case 'PERCPU_ARRAY':
      return n * value * cpus;
    case 'HASH':
    case 'LRU_HASH':
    case 'HASH_OF_MAPS':
      return n * (HTAB_ELEM_BYTES + round8(spec.keySize) + value);
    case 'PERCPU_HASH':
    case 'LRU_PERCPU_HASH':
      return n * (HTAB_ELEM_BYTES + round8(spec.keySize) + 8 + value * cpus);
    case 'LPM_TRIE':
      return n * (HTAB_ELEM_BYTES + round8(spec.keySize) + value);
    case 'QUEUE':
    case 'STACK':
      return (n + 1) * spec.valueSize;
    case 'BLOOM_FILTER':
      return Math.ceil(n / 8) * 8;
    case 'RINGBUF':
      return n;
    default:
      return n * value;
  }
}

/** A byte budget shared by the maps of one load; closing a map gives its bytes back. */
export class MemoryBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new TsbpfError('INVALID_ARGUMENT', `memoryLimit must be a byte count >= 0, is ${limit}`);
    this.limit = limit;
  }

  /** Bytes charged by the maps alive now. */
  get used(): number {
    return this.#used;
  }

  /** Charges `bytes`; false (nothing charged) when they do not fit under the limit. */
  charge(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  refund(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
