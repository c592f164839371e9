// Element-update flags and map_flags bits (uapi <linux/bpf.h>), plus the kernel limits the map
// types check at creation. Names follow the uapi with the BPF_ prefix kept where it is part of
// the kernel name. No logic here.

/** Update flags of BPF_MAP_UPDATE_ELEM and bpf_map_update_elem(). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** map_flags bits of BPF_MAP_CREATE. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;

/** BPF_F_ACCESS_MASK: the user and program access bits. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value (32 KiB). */
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** NR_CPUS of the reference kernel (6.18, Debian config): cpumap max_entries bound. */
export const NR_CPUS = 256;
/** KMALLOC_MAX_SIZE on x86-64 (order-10 pages: 4 MiB). */
export const KMALLOC_MAX_SIZE = 4 << 20;
/** tsbpf's own limit on the bytes one map preallocates in the address space (ENOMEM past it). */
export const MAX_MAP_BYTES = 256 << 20;

/** bpf_map_flags_access_ok(): RDONLY_PROG and WRONLY_PROG are exclusive. */
export function accessFlagsOk(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/** round_up(n, 8): the stride of one value in every map type. */
export const round8 = (n: number): number => Math.ceil(n / 8) * 8;
