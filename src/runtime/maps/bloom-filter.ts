// BPF_MAP_TYPE_BLOOM_FILTER: push adds a value, peek answers "maybe present" (0) or "certainly
// absent" (ENOENT); no false negatives, false positives allowed. map_extra's low 4 bits give the
// number of hash functions (0 means 5); the bit array is sized as the kernel sizes it. The hash
// is tsbpf's own (FNV-1a with a per-function seed and a final avalanche), not the kernel's jhash,
// so which values collide differs. Semantics from the kernel's kernel/bpf/bloom_filter.c.

import { Errno } from '../../uapi/errno.js';
import {
  accessFlagsOk,
  BPF_ANY,
  BPF_F_ACCESS_MASK,
  BPF_F_NUMA_NODE,
  BPF_F_ZERO_SEED,
  MAX_MAP_BYTES,
} from '../../uapi/map-flags.js';
import type { AddressSpace, Region } from '../memory.js';
import { BpfMap } from './base.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const DEFAULT_HASH_FUNCS = 5;

/** Bits of the filter: max_entries x hashes x 7/5, a power of two of at least 64 (bloom_map_alloc). */
function bloomBits(maxEntries: number, hashes: number): number {
  const bits = Math.floor((maxEntries * hashes) / 5) * 7;
  if (maxEntries * hashes > 0xffffffff || bits > 0xffffffff || bits > 2 ** 31) return 2 ** 32;
  return bits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(bits));
}

/** bloom_map_alloc()'s checks: 0 or a positive errno. */
export function checkBloomSpec(spec: MapSpecLike): number {
  const flags = spec.flags ?? 0;
  const extra = spec.mapExtra ?? 0n;
  if (spec.keySize !== 0 || spec.valueSize === 0 || spec.maxEntries === 0) return Errno.EINVAL;
  if (flags & ~BLOOM_CREATE_FLAG_MASK || !accessFlagsOk(flags) || (extra & ~0xfn) !== 0n) return Errno.EINVAL;
  const hashes = Number(extra) || DEFAULT_HASH_FUNCS;
  if (bloomBits(spec.maxEntries, hashes) / 8 > MAX_MAP_BYTES) return Errno.ENOMEM;
  return 0;
}

export class BloomFilterMap extends BpfMap {
  readonly hashes: number;
  readonly #bits: Uint8Array;
  readonly #mask: number;
  readonly #seed: number;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.hashes = Number((spec.mapExtra ?? 0n) & 0xfn) || DEFAULT_HASH_FUNCS;
    const bits = bloomBits(this.maxEntries, this.hashes);
    this.#mask = bits - 1;
    this.#bits = new Uint8Array(Math.max(8, bits / 8));
    this.#seed = this.flags & BPF_F_ZERO_SEED ? 0 : (Math.random() * 2 ** 32) >>> 0;
  }

  override get regions(): readonly Region[] {
    return [];
  }

  #hash(value: Uint8Array, i: number): number {
    let h = (0x811c9dc5 ^ Math.imul(this.#seed + i, 0x9e3779b1)) >>> 0;
    for (let k = 0; k < this.valueSize; k++) h = Math.imul(h ^ value[k]!, 0x01000193) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // A mask of 2^32 - 1 cannot be applied with & on doubles: reduce with >>> 0.
    return this.#mask >= 0xffffffff ? h >>> 0 : (h >>> 0) % (this.#mask + 1);
  }

  override pushElem(value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#hash(value, i);
      this.#bits[b >>> 3]! |= 1 << (b & 7);
    }
    return 0;
  }

  override peekElem(value: Uint8Array): number {
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#hash(value, i);
      if (!(this.#bits[b >>> 3]! & (1 << (b & 7)))) return -Errno.ENOENT;
    }
    return 0;
  }

  override popElem(_out: Uint8Array): number {
    return -Errno.EOPNOTSUPP;
  }

  /** The syscall reads the value buffer as input; lookup() has none, so it tests the zero value. */
  protected override sysLookup(): Uint8Array | number {
    const v = new Uint8Array(this.valueSize);
    const r = this.peekElem(v);
    return r < 0 ? r : v;
  }
  protected override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.pushElem(value, flags);
  }
  protected override sysDelete(): number {
    return -Errno.EOPNOTSUPP;
  }
  protected override sysNextKey(): number {
    return -Errno.EOPNOTSUPP;
  }
}
