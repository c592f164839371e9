// A whole-map dump through the batch commands, the same on both backends: BPF_MAP_LOOKUP_BATCH
// rounds until the end, as bpftool and cilium/ebpf's BatchLookup do; a hash bucket larger than the
// buffer (ENOSPC) doubles it; map types without batch lookup (the kernel's EINVAL / ENOTSUPP)
// are walked with get_next_key and lookup instead.

import { BpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import type { MapBatch } from './types.js';

/** What dumpMap needs of a map: the batch lookup and the element walk. */
export interface DumpableMap {
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  lookup(key: Uint8Array): Uint8Array | undefined;
}

/** Every key and value of `map` (in its iteration order), in batches of `batch` elements. */
export function dumpMap(map: DumpableMap, batch = 4096): { keys: Uint8Array[]; values: Uint8Array[] } {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  let cursor: Uint8Array | undefined;
  let size = batch;
  for (;;) {
    let b: MapBatch;
    try {
      b = map.lookupBatch(cursor, size);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      if (e.errno === Errno.ENOSPC) {
        size *= 2;
        continue;
      }
      const unsupported =
        e.errno === Errno.EINVAL || e.errno === Errno.ENOTSUPP || e.errno === Errno.EOPNOTSUPP;
      if (!unsupported || cursor !== undefined) throw e;
      return walk(map);
    }
    for (let i = 0; i < b.keys.length; i++) {
      keys.push(b.keys[i]!);
      values.push(b.values[i]!);
    }
    if (b.cursor === undefined) return { keys, values };
    cursor = b.cursor;
  }
}

function walk(map: DumpableMap): { keys: Uint8Array[]; values: Uint8Array[] } {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) {
    const v = map.lookup(k);
    if (v === undefined) continue;
    keys.push(k);
    values.push(v);
  }
  return { keys, values };
}
