// `union bpf_attr` as a byte buffer: the field offsets of the commands tsbpf issues, and a small
// writer that fills them and keeps the buffers its pointer fields refer to alive.
// Offsets are those of the kernel's include/uapi/linux/bpf.h (checked with offsetof against the
// 6.1 uapi header installed here; log_true_size from the 6.4+ header). The union only grows at its end and
// zero means "unused", so a zeroed buffer larger than the kernel's own is accepted.

import { addressOf, bpf, pinned, pinnedCopy } from './syscall.js';

/** Size of the attr buffer we pass; the kernel accepts larger-than-known attrs if the tail is zero. */
export const ATTR_SIZE = 160;

/** BPF_MAP_CREATE (the anonymous struct starting with map_type). */
export const MapCreate = {
  map_type: 0,
  key_size: 4,
  value_size: 8,
  max_entries: 12,
  map_flags: 16,
  inner_map_fd: 20,
  numa_node: 24,
  map_name: 28, // char[BPF_OBJ_NAME_LEN = 16]
  map_ifindex: 44,
  btf_fd: 48,
  btf_key_type_id: 52,
  btf_value_type_id: 56,
  map_extra: 64,
} as const;

/** BPF_BTF_LOAD (offsets checked with offsetof; btf_log_true_size from the 6.4+ header). */
export const BtfLoad = {
  btf: 0, // pointer to the raw .BTF bytes
  btf_log_buf: 8,
  btf_size: 16,
  btf_log_size: 20,
  btf_log_level: 24,
  btf_log_true_size: 28, // out
} as const;

/** BPF_MAP_FREEZE: only the map fd. */
export const MapFreeze = { map_fd: 0 } as const;

/** BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY (the struct starting with map_fd). */
export const MapElem = {
  map_fd: 0,
  key: 8, // aligned_u64 pointer
  value: 16, // aligned_u64 pointer; `next_key` for GET_NEXT_KEY
  flags: 24,
} as const;

/** BPF_MAP_*_BATCH (`struct batch`). */
export const MapBatchAttr = {
  in_batch: 0, // aligned_u64 pointer: the cursor from the last call (NULL: from the start)
  out_batch: 8, // aligned_u64 pointer: where the kernel leaves the next cursor
  keys: 16,
  values: 24,
  count: 32, // in: elements the buffers hold; out: elements processed
  map_fd: 36,
  elem_flags: 40,
  flags: 48,
} as const;

/** BPF_PROG_LOAD. */
export const ProgLoad = {
  prog_type: 0,
  insn_cnt: 4,
  insns: 8,
  license: 16,
  log_level: 24,
  log_size: 28,
  log_buf: 32,
  kern_version: 40,
  prog_flags: 44,
  prog_name: 48, // char[16]
  prog_ifindex: 64,
  expected_attach_type: 68,
  prog_btf_fd: 72,
  func_info_rec_size: 76,
  func_info: 80,
  func_info_cnt: 88,
  line_info_rec_size: 92,
  line_info: 96,
  line_info_cnt: 104,
  fd_array: 120,
  log_true_size: 140, // out, since 6.4: the log size the kernel needed
} as const;

/** BPF_PROG_TEST_RUN (`struct test`). */
export const TestRun = {
  prog_fd: 0,
  retval: 4, // out
  data_size_in: 8,
  data_size_out: 12, // in: buffer size, out: bytes written
  data_in: 16,
  data_out: 24,
  repeat: 32,
  duration: 36, // out: average ns per run
  ctx_size_in: 40,
  ctx_size_out: 44,
  ctx_in: 48,
  ctx_out: 56,
  flags: 64,
  cpu: 68,
  batch_size: 72,
} as const;

/** BPF_OBJ_GET_INFO_BY_FD (the `info` struct). */
export const ObjInfo = {
  bpf_fd: 0,
  info_len: 4,
  info: 8, // pointer to struct bpf_prog_info / bpf_map_info
} as const;

/** struct bpf_prog_info, the fields read here (its size is 232 bytes in the 6.1 header). */
export const ProgInfo = {
  type: 0,
  id: 4,
  jited_prog_len: 16,
  xlated_prog_len: 20,
  jited_prog_insns: 24,
  xlated_prog_insns: 32,
  size: 232,
} as const;

/** BPF_OBJ_NAME_LEN: object names are at most 15 characters plus NUL. */
export const OBJ_NAME_LEN = 16;

/** A zeroed attr buffer with typed setters; `keep` holds pointed-to buffers until the call is made. */
export class Attr {
  readonly bytes = pinned(ATTR_SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly keep: Uint8Array[] = [];

  u32(offset: number, value: number): this {
    this.view.setUint32(offset, value >>> 0, true);
    return this;
  }

  u64(offset: number, value: bigint): this {
    this.view.setBigUint64(offset, BigInt.asUintN(64, value), true);
    return this;
  }

  /** Stores the address of `buf` (which must be pinned, see syscall.ts) and keeps it alive. */
  ptr(offset: number, buf: Uint8Array): this {
    this.keep.push(buf);
    return this.u64(offset, addressOf(buf));
  }

  /** Stores a pointer to a pinned copy of `bytes`. */
  ptrCopy(offset: number, bytes: Uint8Array): this {
    return this.ptr(offset, pinnedCopy(bytes));
  }

  /** Writes a NUL-terminated name into a char[16] field. */
  name(offset: number, name: string): this {
    const b = new TextEncoder().encode(name);
    this.bytes.set(b.subarray(0, OBJ_NAME_LEN - 1), offset);
    return this;
  }

  getU32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** Issues bpf(cmd, this); the pointed-to buffers are referenced until the call returns. */
  call(cmd: number): number {
    const r = bpf(cmd, this.bytes);
    if (this.keep.length < 0) throw new Error('unreachable'); // keeps `keep` live past the call
    return r;
  }
}

/**
 * An object name the kernel accepts, made from any name: characters outside [A-Za-z0-9_.]
 * become '_' and the result is cut to BPF_OBJ_NAME_LEN - 1 = 15 characters (libbpf truncates
 * the same way; the kernel's bpf_obj_name_cpy refuses longer names and other characters).
 */
export function kernelObjName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, OBJ_NAME_LEN - 1);
}

/** Checks an object name as the kernel's bpf_obj_name_cpy does: < 16 chars of [A-Za-z0-9_.]. */
export function checkObjName(name: string): string | undefined {
  if (name.length >= OBJ_NAME_LEN) return `name '${name}' is longer than ${OBJ_NAME_LEN - 1} characters`;
  if (!/^[A-Za-z0-9_.]*$/.test(name)) return `name '${name}' may hold only letters, digits, '_' and '.'`;
  return undefined;
}
