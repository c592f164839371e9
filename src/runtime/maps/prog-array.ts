// BPF_MAP_TYPE_PROG_ARRAY: the jump table of bpf_tail_call. A value is a program reference: the
// user side writes an opaque non-zero program id (the kernel takes a prog fd and reports the
// prog id on lookup); programs cannot look it up, they tail-call through programAt().
// Semantics from the kernel's kernel/bpf/arraymap.c (fd array part).

import { Errno } from '../../uapi/errno.js';
import { BPF_ANY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, MAX_MAP_BYTES } from '../../uapi/map-flags.js';
import { checkArraySpec } from './array.js';
import { keyIndex } from './base.js';
import { RefArrayMap, u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** fd_array_map_alloc_check(): value_size 4, no program access flags, then the array checks. */
export function checkFdArraySpec(spec: MapSpecLike): number {
  if (spec.valueSize !== 4) return Errno.EINVAL;
  if ((spec.flags ?? 0) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return Errno.EINVAL;
  // Reference arrays are mapped whole at creation: tsbpf's bound on one region applies.
  return checkArraySpec(spec) || (spec.maxEntries * 8 > MAX_MAP_BYTES ? Errno.ENOMEM : 0);
}

export class ProgArrayMap extends RefArrayMap {
  protected override readonly fdArray = true;
  /** The program id in slot `index`, or undefined (bpf_tail_call falls through). */
  programAt(index: number): number | undefined {
    return this.words(index)?.[0];
  }

  /** Programs never get a prog array value (the kernel's lookup returns an error pointer). */
  override lookupAddress(_key: Uint8Array): number {
    return 0;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    const index = keyIndex(key);
    if (index >= this.maxEntries) return -Errno.E2BIG;
    const id = u32At(value, 0);
    if (id === 0 || this.references.program?.(id) === false) return -Errno.EBADF;
    this.set(index, value);
    return 0;
  }
}
