// What bpftool's `prog show` / `map show` print about an object in the kernel, read from its fd:
// BPF_OBJ_GET_INFO_BY_FD (struct bpf_prog_info / bpf_map_info of uapi <linux/bpf.h>, offsets
// checked against the 6.1 header), /proc/self/fdinfo (a map's `frozen` and each object's
// `memlock`, where bpftool reads them too), and the BTF an object was loaded with
// (BPF_BTF_GET_FD_BY_ID, then struct bpf_btf_info) for formatting map entries.

import { readFileSync } from 'node:fs';
import { BpfError } from '../errors.js';
import { BpfCmd, Errno, type MapTypeName, type ProgTypeName } from '../uapi/index.js';
import { Attr, ObjInfo } from './attr.js';
import { mapInfo, programInfo } from './object-info.js';
import { addressOf, closeFd, pinned } from './syscall.js';

const ProgInfo = {
  tag: 8,
  jited_prog_len: 16,
  xlated_prog_len: 20,
  load_time: 40,
  created_by_uid: 48,
  nr_map_ids: 52,
  map_ids: 56,
  gpl_compatible: 84, // bit 0 of a u32 bitfield
  btf_id: 128,
  size: 232,
} as const;

const MapInfo = { btf_id: 64, btf_key_type_id: 68, btf_value_type_id: 72, size: 88 } as const;

/** struct bpf_btf_info: btf (pointer), btf_size, id. */
const BtfInfo = { btf: 0, btf_size: 8, id: 12, size: 32 } as const;

export interface ProgramDetails {
  readonly id: number;
  readonly type: ProgTypeName;
  readonly name: string;
  /** The kernel's tag (a hash of the instructions), 16 hex digits. */
  readonly tag: string;
  readonly gplCompatible: boolean;
  /** CLOCK_BOOTTIME nanoseconds at load. */
  readonly loadTimeNs: bigint;
  readonly uid: number;
  readonly bytesXlated: number;
  readonly bytesJited: number;
  readonly memlock: number | undefined;
  readonly mapIds: readonly number[];
  /** 0 without BTF. */
  readonly btfId: number;
}

export interface MapDetails {
  readonly id: number;
  readonly type: MapTypeName;
  readonly name: string;
  readonly flags: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly memlock: number | undefined;
  readonly frozen: boolean;
  /** 0 without BTF; the key and value type ids are in that BTF. */
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
}

/** OBJ_GET_INFO_BY_FD into `info` (which the caller may have filled with array requests). */
function infoCall(fd: number, info: Uint8Array): DataView {
  new Attr()
    .u32(ObjInfo.bpf_fd, fd)
    .u32(ObjInfo.info_len, info.length)
    .ptr(ObjInfo.info, info)
    .call(BpfCmd.OBJ_GET_INFO_BY_FD);
  return new DataView(info.buffer, info.byteOffset, info.byteLength);
}

/** A `key:\tvalue` line of /proc/self/fdinfo/FD, or undefined where the kernel has none. */
function fdinfo(fd: number, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export function programDetails(fd: number): ProgramDetails {
  const base = programInfo(fd);
  let v = infoCall(fd, pinned(ProgInfo.size));
  const count = v.getUint32(ProgInfo.nr_map_ids, true);
  let mapIds: number[] = [];
  if (count > 0) {
    // Ask again with room for the map ids (the count can only be what the first call said).
    const ids = pinned(count * 4);
    const info = pinned(ProgInfo.size);
    const w = new DataView(info.buffer);
    w.setUint32(ProgInfo.nr_map_ids, count, true);
    w.setBigUint64(ProgInfo.map_ids, addressOf(ids), true);
    v = infoCall(fd, info);
    const idView = new DataView(ids.buffer);
    mapIds = Array.from({ length: Math.min(count, v.getUint32(ProgInfo.nr_map_ids, true)) }, (_, k) =>
      idView.getUint32(k * 4, true),
    );
  }
  const tag = Array.from({ length: 8 }, (_, k) =>
    v
      .getUint8(ProgInfo.tag + k)
      .toString(16)
      .padStart(2, '0'),
  );
  return {
    id: base.id,
    type: base.type,
    name: base.name,
    tag: tag.join(''),
    gplCompatible: (v.getUint32(ProgInfo.gpl_compatible, true) & 1) === 1,
    loadTimeNs: v.getBigUint64(ProgInfo.load_time, true),
    uid: v.getUint32(ProgInfo.created_by_uid, true),
    bytesXlated: v.getUint32(ProgInfo.xlated_prog_len, true),
    bytesJited: v.getUint32(ProgInfo.jited_prog_len, true),
    memlock: fdinfo(fd, 'memlock'),
    mapIds,
    btfId: v.getUint32(ProgInfo.btf_id, true),
  };
}

export function mapDetails(fd: number): MapDetails {
  const base = mapInfo(fd);
  const v = infoCall(fd, pinned(MapInfo.size));
  return {
    id: base.id,
    type: base.type,
    name: base.name,
    flags: base.flags,
    keySize: base.keySize,
    valueSize: base.valueSize,
    maxEntries: base.maxEntries,
    memlock: fdinfo(fd, 'memlock'),
    frozen: fdinfo(fd, 'frozen') === 1,
    btfId: v.getUint32(MapInfo.btf_id, true),
    btfKeyTypeId: v.getUint32(MapInfo.btf_key_type_id, true),
    btfValueTypeId: v.getUint32(MapInfo.btf_value_type_id, true),
  };
}

/** The raw bytes of the BTF object `id` (as BTF_LOAD took them), read through a short-lived fd. */
export function btfBytes(id: number): Uint8Array {
  const fd = new Attr().u32(0, id).call(BpfCmd.BTF_GET_FD_BY_ID);
  try {
    const size = infoCall(fd, pinned(BtfInfo.size)).getUint32(BtfInfo.btf_size, true);
    const bytes = pinned(size);
    const info = pinned(BtfInfo.size);
    const w = new DataView(info.buffer);
    w.setBigUint64(BtfInfo.btf, addressOf(bytes), true);
    w.setUint32(BtfInfo.btf_size, size, true);
    const got = infoCall(fd, info).getUint32(BtfInfo.btf_size, true);
    if (got !== size)
      throw new BpfError('BPF_OBJ_GET_INFO_BY_FD', Errno.ENOSPC, {
        subject: `BTF ${id}`,
        reason: 'its size changed',
      });
    return bytes;
  } finally {
    closeFd(fd);
  }
}
