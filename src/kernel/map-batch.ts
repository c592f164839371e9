// BPF_MAP_LOOKUP_BATCH, _LOOKUP_AND_DELETE_BATCH, _UPDATE_BATCH and _DELETE_BATCH on a kernel
// map: one syscall moves `count` keys and values through two flat buffers. The cursor is the
// kernel's opaque out_batch (the last key for arrays, a bucket index for hash maps); ENOENT
// means the walk reached the end (the elements of that last call are still returned). A failing
// update or delete reports in `count` how many elements it processed (include/uapi/linux/bpf.h).

import { BpfError, TsbpfError } from '../errors.js';
import { MapBatch } from '../runtime/maps/batch.js';
import { BpfCmd, Errno } from '../uapi/index.js';
import { Attr, MapBatchAttr } from './attr.js';
import type { KernelMap } from './map.js';
import { pinned } from './syscall.js';

/** Bytes of a cursor buffer: a key (generic batch ops) or a u32 bucket (hash maps). */
const cursorSize = (m: KernelMap): number => Math.max(8, m.keySize);

/** One lookup (or lookup-and-delete) batch of at most `count` elements after `cursor`. */
export function kernelLookupBatch(
  m: KernelMap,
  cursor: Uint8Array | undefined,
  count: number,
  del: boolean,
  elemFlags = 0,
): MapBatch {
  const cmd = del ? BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH : BpfCmd.MAP_LOOKUP_BATCH;
  if (!Number.isInteger(count) || count <= 0)
    throw new BpfError(del ? 'BPF_MAP_LOOKUP_AND_DELETE_BATCH' : 'BPF_MAP_LOOKUP_BATCH', Errno.EINVAL);
  const keys = pinned(count * m.keySize);
  const values = pinned(count * m.valueBufferSize);
  const out = pinned(cursorSize(m));
  const attr = new Attr()
    .u32(MapBatchAttr.map_fd, m.fd)
    .u32(MapBatchAttr.count, count)
    .u64(MapBatchAttr.elem_flags, BigInt(elemFlags))
    .ptr(MapBatchAttr.keys, keys)
    .ptr(MapBatchAttr.values, values)
    .ptr(MapBatchAttr.out_batch, out);
  if (cursor !== undefined) {
    const at = pinned(cursorSize(m));
    at.set(cursor.subarray(0, at.length));
    attr.ptr(MapBatchAttr.in_batch, at);
  }
  let done = false;
  try {
    attr.call(cmd);
  } catch (e) {
    if (!(e instanceof BpfError) || e.errno !== Errno.ENOENT) throw e;
    done = true;
  }
  const n = attr.getU32(MapBatchAttr.count);
  // Generic batches leave the last key, hash maps a u32 bucket: at least 4 bytes, at most the key.
  const next = done ? undefined : out.slice(0, Math.max(4, m.keySize));
  return new MapBatch(
    n,
    m.keySize,
    m.valueBufferSize,
    keys.subarray(0, n * m.keySize),
    values.subarray(0, n * m.valueBufferSize),
    next,
  );
}

/** BPF_MAP_UPDATE_BATCH (values) or BPF_MAP_DELETE_BATCH (no values): the count processed. */
export function kernelWriteBatch(
  m: KernelMap,
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[] | undefined,
  elemFlags = 0,
): number {
  const op = values === undefined ? 'BPF_MAP_DELETE_BATCH' : 'BPF_MAP_UPDATE_BATCH';
  if (values !== undefined && values.length !== keys.length) throw new BpfError(op, Errno.EINVAL);
  if (keys.length === 0) return 0;
  const attr = new Attr()
    .u32(MapBatchAttr.map_fd, m.fd)
    .u32(MapBatchAttr.count, keys.length)
    .u64(MapBatchAttr.elem_flags, BigInt(elemFlags))
    .ptr(MapBatchAttr.keys, flat(keys, m.keySize, 'key'));
  if (values !== undefined) attr.ptr(MapBatchAttr.values, flat(values, m.valueBufferSize, 'value'));
  try {
    attr.call(values === undefined ? BpfCmd.MAP_DELETE_BATCH : BpfCmd.MAP_UPDATE_BATCH);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    throw new BpfError(op, e.errno, { subject: `map '${m.name}'`, count: attr.getU32(MapBatchAttr.count) });
  }
  return attr.getU32(MapBatchAttr.count);
}

/** The items back to back in one pinned buffer. */
function flat(items: readonly Uint8Array[], size: number, what: string): Uint8Array {
  const out = pinned(items.length * size);
  items.forEach((b, i) => {
    if (b.length !== size)
      throw new TsbpfError('INVALID_ARGUMENT', `${what} ${i} is ${b.length} bytes, expected ${size}`);
    out.set(b, i * size);
  });
  return out;
}
