// A whole-map dump through the batch commands, the same on both backends: BPF_MAP_LOOKUP_BATCH
// rounds until the end, as bpftool and cilium/ebpf's BatchLookup do; a hash bucket larger than the
// buffer (ENOSPC) doubles it; map types without batch lookup (the kernel's EINVAL / ENOTSUPP)
// are walked with get_next_key and lookup instead.

import { BpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { MapBatch } from './batch.js';

/** What dumpMap needs of a map: the batch lookup and the element walk. */
export interface DumpableMap {
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  lookup(key: Uint8Array): Uint8Array | undefined;
}

/**
 * Every key and value of `map` (in its iteration order), in batches of `batch` elements;
 * `valueSize` is the bytes of a value as user space sees it (per-CPU: every CPU's).
 */
export function dumpMap(map: DumpableMap, keySize: number, valueSize: number, batch = 4096): MapBatch {
  const parts: MapBatch[] = [];
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
      return walk(map, keySize, valueSize);
    }
    parts.push(b);
    if (b.cursor === undefined) return MapBatch.concat(keySize, valueSize, parts);
    cursor = b.cursor;
  }
}

function walk(map: DumpableMap, keySize: number, valueSize: number): MapBatch {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) {
    const v = map.lookup(k);
    if (v === undefined) continue;
    keys.push(k);
    values.push(v);
  }
  return MapBatch.of(keySize, valueSize, keys, values, undefined);
}
