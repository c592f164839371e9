// BPF_OBJ_GET_INFO_BY_FD for maps and programs: the fields needed to rebuild a handle from an
// fd the process did not create (opened by id, pin or name). Offsets are those of struct
// bpf_map_info / bpf_prog_info in uapi <linux/bpf.h> (checked with offsetof, 6.1 header).

import { NotSupportedError } from '../errors.js';
import { BpfCmd, type MapTypeName, mapTypeName, type ProgTypeName, progTypeName } from '../uapi/index.js';
import { Attr, OBJ_NAME_LEN, ObjInfo, ProgInfo } from './attr.js';
import { pinned } from './syscall.js';

const MapInfo = {
  type: 0,
  id: 4,
  key_size: 8,
  value_size: 12,
  max_entries: 16,
  map_flags: 20,
  name: 24,
  map_extra: 80,
  size: 88,
} as const;

const ProgInfoName = 64;

export interface MapInfoView {
  readonly type: MapTypeName;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly mapExtra: bigint;
}

export interface ProgramInfoView {
  readonly type: ProgTypeName;
  readonly id: number;
  readonly name: string;
  /** Instructions after the verifier's rewrites, in 8-byte slots. */
  readonly xlatedInsns: number;
}

/** Fills `size` bytes of the info struct of `fd`. */
export function objectInfo(fd: number, size: number): DataView {
  const buf = pinned(size);
  new Attr()
    .u32(ObjInfo.bpf_fd, fd)
    .u32(ObjInfo.info_len, size)
    .ptr(ObjInfo.info, buf)
    .call(BpfCmd.OBJ_GET_INFO_BY_FD);
  return new DataView(buf.buffer);
}

function cName(v: DataView, at: number): string {
  const bytes = new Uint8Array(v.buffer, at, OBJ_NAME_LEN);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? OBJ_NAME_LEN : end));
}

export function mapInfo(fd: number): MapInfoView {
  const v = objectInfo(fd, MapInfo.size);
  const t = v.getUint32(MapInfo.type, true);
  const type = mapTypeName(t);
  if (type === undefined) throw new NotSupportedError(`map type ${t}`, `map fd ${fd}`);
  return {
    type,
    id: v.getUint32(MapInfo.id, true),
    keySize: v.getUint32(MapInfo.key_size, true),
    valueSize: v.getUint32(MapInfo.value_size, true),
    maxEntries: v.getUint32(MapInfo.max_entries, true),
    flags: v.getUint32(MapInfo.map_flags, true),
    name: cName(v, MapInfo.name),
    mapExtra: v.getBigUint64(MapInfo.map_extra, true),
  };
}

export function programInfo(fd: number): ProgramInfoView {
  const v = objectInfo(fd, ProgInfo.size);
  const t = v.getUint32(ProgInfo.type, true);
  const type = progTypeName(t);
  if (type === undefined) throw new NotSupportedError(`program type ${t}`, `program fd ${fd}`);
  return {
    type,
    id: v.getUint32(ProgInfo.id, true),
    name: cName(v, ProgInfoName),
    xlatedInsns: v.getUint32(ProgInfo.xlated_prog_len, true) / 8,
  };
}
