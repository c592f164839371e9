// The shared shape of the array-like maps whose values are references (prog array, devmap,
// cpumap, xskmap): max_entries slots that start empty, values kept in a region that programs
// may read but not write (the kernel marks these values read-only to programs).
// Each type decides its own update errnos; this file holds storage, the walk and delete.

import { Errno } from '../../uapi/errno.js';
import { round8 } from '../../uapi/map-flags.js';
import { type AddressSpace, elementStride, type Region } from '../memory.js';
import { BpfMap, indexNextKey, keyIndex } from './base.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

/** The common creation check of devmap, cpumap and xskmap: 0 or EINVAL. */
export function checkRefArraySpec(
  spec: MapSpecLike,
  valueSizes: readonly number[],
  flagMask: number,
): number {
  if (spec.maxEntries === 0 || spec.keySize !== 4 || !valueSizes.includes(spec.valueSize))
    return Errno.EINVAL;
  if ((spec.flags ?? 0) & ~flagMask) return Errno.EINVAL;
  return 0;
}

export abstract class RefArrayMap extends BpfMap {
  readonly #region: Region;
  readonly #present: Uint8Array;
  readonly #stride: number;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.#stride = elementStride(this.maxEntries, this.valueSize);
    this.#present = new Uint8Array(this.maxEntries);
    this.#region = this.allocateStrided('values', this.maxEntries, this.valueSize, this.#stride, 8, false);
  }

  override get regions(): readonly Region[] {
    return this.closed ? [] : [this.#region];
  }

  /** The u32 fields of the value at `index` (e.g. [ifindex, prog id]), or undefined when empty. */
  protected words(index: number): number[] | undefined {
    if (index >= this.maxEntries || !this.#present[index]) return undefined;
    const view = this.space.view;
    const a = this.#region.start + index * this.#stride;
    const out: number[] = [];
    for (let k = 0; k + 4 <= this.valueSize; k += 4) out.push(view.getUint32(a + k, true));
    return out;
  }

  /**
   * How delete answers: the fd arrays (prog array, perf event array; kernel
   * fd_array_map_delete_elem) refuse past the end with E2BIG and an empty slot with ENOENT; the
   * redirect maps (devmap, cpumap, xskmap) refuse past the end with EINVAL and clear any slot.
   */
  protected readonly fdArray: boolean = false;

  protected override sysDelete(key: Uint8Array): number {
    const index = keyIndex(key);
    if (index >= this.maxEntries) return this.fdArray ? -Errno.E2BIG : -Errno.EINVAL;
    if (this.fdArray && !this.isSet(index)) return -Errno.ENOENT;
    this.clear(index);
    return 0;
  }

  protected isSet(index: number): boolean {
    return index < this.maxEntries && this.#present[index] === 1;
  }

  protected set(index: number, value: Uint8Array): void {
    this.writeRaw(this.#region.start + index * this.#stride, value.subarray(0, this.valueSize));
    this.#present[index] = 1;
  }

  protected clear(index: number): void {
    this.zeroRaw(this.#region.start + index * this.#stride, round8(this.valueSize));
    this.#present[index] = 0;
  }

  override lookupAddress(key: Uint8Array): number {
    const index = keyIndex(key);
    return this.isSet(index) ? this.#region.start + index * this.#stride : 0;
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const index = keyIndex(key);
    if (!this.isSet(index)) return -Errno.ENOENT;
    return this.readRaw(this.#region.start + index * this.#stride, this.valueSize);
  }

  protected override sysNextKey(key: Uint8Array | undefined): Uint8Array | number {
    return indexNextKey(key, this.maxEntries);
  }
}

/** The u32 at byte `off` of a value. */
export const u32At = (value: Uint8Array, off: number): number =>
  new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(off, true);
