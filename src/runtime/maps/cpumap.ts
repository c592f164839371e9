// BPF_MAP_TYPE_CPUMAP: XDP redirect to another CPU. Keys are CPU numbers (below the `cpus` of
// the map's options, else ENODEV); a value is `struct bpf_cpumap_val { u32 qsize; u32 prog; }`
// (value_size 4: qsize only); qsize 0 empties a slot. Semantics from kernel/bpf/cpumap.c.

import { Errno } from '../../uapi/errno.js';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_NOEXIST, NR_CPUS } from '../../uapi/map-flags.js';
import { keyIndex } from './base.js';
import { checkRefArraySpec, RefArrayMap, u32At } from './ref-array.js';
import type { MapSpecLike } from './types.js';

/** The sanity limit on a cpumap entry's queue size. */
const CPUMAP_MAX_QSIZE = 16384;

/** cpu_map_alloc()'s checks. */
export function checkCpumapSpec(spec: MapSpecLike): number {
  const r = checkRefArraySpec(spec, [4, 8], BPF_F_NUMA_NODE);
  if (r !== 0) return r;
  return spec.maxEntries > NR_CPUS ? Errno.E2BIG : 0;
}

export interface CpumapEntry {
  readonly qsize: number;
  readonly program: number;
}

export class CpuMap extends RefArrayMap {
  /** The entry for CPU `index` (bpf_redirect_map's target), or undefined. */
  entry(index: number): CpumapEntry | undefined {
    const w = this.words(index);
    return w === undefined ? undefined : { qsize: w[0]!, program: w[1] ?? 0 };
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const cpu = keyIndex(key);
    if (cpu >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const qsize = u32At(value, 0);
    if (qsize > CPUMAP_MAX_QSIZE) return -Errno.EOVERFLOW;
    if (cpu >= this.cpus) return -Errno.ENODEV;
    if (qsize === 0) {
      this.clear(cpu);
      return 0;
    }
    const prog = value.length >= 8 ? u32At(value, 4) : 0;
    if (prog !== 0 && this.references.program?.(prog) === false) return -Errno.EBADF;
    this.set(cpu, value);
    return 0;
  }
}
