// BPF_MAP_TYPE_QUEUE (FIFO) and the ring both it and the stack use: max_entries values of
// value_size in a circular buffer of max_entries + 1 slots, key_size 0. Push with BPF_EXIST
// overwrites the oldest element when full; peek/pop copy the element out. The values live in
// JS memory: programs reach them only through the push/pop/peek helpers, which copy.
// Semantics from the kernel's kernel/bpf/queue_stack_maps.c.

import { Errno } from '../../uapi/errno.js';
import {
  accessFlagsOk,
  BPF_EXIST,
  BPF_F_ACCESS_MASK,
  BPF_F_NUMA_NODE,
  BPF_NOEXIST,
  KMALLOC_MAX_SIZE,
  MAX_MAP_BYTES,
} from '../../uapi/map-flags.js';
import type { AddressSpace, Region } from '../memory.js';
import { BpfMap } from './base.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** queue_stack_map_alloc_check(): 0 or a positive errno. */
export function checkQueueStackSpec(spec: MapSpecLike): number {
  const flags = spec.flags ?? 0;
  if (spec.maxEntries === 0 || spec.keySize !== 0 || spec.valueSize === 0) return Errno.EINVAL;
  if (flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !accessFlagsOk(flags)) return Errno.EINVAL;
  if (spec.valueSize > KMALLOC_MAX_SIZE) return Errno.E2BIG;
  if ((spec.maxEntries + 1) * spec.valueSize > MAX_MAP_BYTES) return Errno.ENOMEM;
  return 0;
}

export abstract class QueueStackMap extends BpfMap {
  protected readonly ring: Uint8Array;
  /** Slots in the ring: max_entries + 1 (one stays empty to tell full from empty). */
  protected readonly slots: number;
  protected head = 0;
  protected tail = 0;

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.slots = this.maxEntries + 1;
    this.ring = new Uint8Array(this.slots * this.valueSize);
  }

  override get regions(): readonly Region[] {
    return [];
  }

  get size(): number {
    return (this.head - this.tail + this.slots) % this.slots;
  }

  /** The slot pop/peek reads, or -1 when empty; `remove` takes it out. */
  protected abstract take(remove: boolean): number;

  override pushElem(value: Uint8Array, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -Errno.EINVAL;
    if ((this.head + 1) % this.slots === this.tail) {
      if (!(flags & BPF_EXIST)) return -Errno.E2BIG;
      this.tail = (this.tail + 1) % this.slots; // overwrite the oldest
    }
    this.ring.set(value.subarray(0, this.valueSize), this.head * this.valueSize);
    this.head = (this.head + 1) % this.slots;
    return 0;
  }

  override popElem(out: Uint8Array): number {
    return this.#copy(out, true);
  }

  override peekElem(buf: Uint8Array): number {
    return this.#copy(buf, false);
  }

  #copy(out: Uint8Array, remove: boolean): number {
    if (this.head === this.tail) return -Errno.ENOENT;
    const slot = this.take(remove);
    out.set(this.ring.subarray(slot * this.valueSize, (slot + 1) * this.valueSize));
    return 0;
  }

  protected override sysLookup(): Uint8Array | number {
    const out = new Uint8Array(this.valueSize);
    const r = this.peekElem(out);
    return r < 0 ? r : out;
  }
  protected override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.pushElem(value, flags);
  }
  protected override sysDelete(): number {
    return -Errno.EINVAL;
  }
  protected override sysNextKey(): number {
    return -Errno.EINVAL;
  }
  protected override sysLookupAndDelete(): Uint8Array | number {
    const out = new Uint8Array(this.valueSize);
    const r = this.popElem(out);
    return r < 0 ? r : out;
  }
}

export class QueueMap extends QueueStackMap {
  protected override take(remove: boolean): number {
    const slot = this.tail;
    if (remove) this.tail = (this.tail + 1) % this.slots;
    return slot;
  }
}
