// BPF_MAP_TYPE_STACK (LIFO): the queue's ring read from the head end. Pop and peek see the
// newest element; push with BPF_EXIST on a full stack drops the oldest.
// Semantics from the kernel's kernel/bpf/queue_stack_maps.c (__stack_map_get).

import { QueueStackMap } from './queue.js';

export class StackMap extends QueueStackMap {
  protected override take(remove: boolean): number {
    const slot = (this.head - 1 + this.slots) % this.slots;
    if (remove) this.head = slot;
    return slot;
  }
}
