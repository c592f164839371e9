// The machine ABI every engine shares (the interpreter now, the Wasm JIT next): the calling
// convention, stack frames, guard gaps and code addresses as numbers, so that two engines
// cannot disagree on them. Facts from the kernel (include/linux/bpf.h, filter.h) and RFC 9669
// §4.3. This file holds definitions only; the address space (memory.ts) and the engines use them.
//
// Calling convention (RFC 9669 §4.3, kernel BPF_REG_*):
//   r0        return value (helpers, local functions, the program)
//   r1 - r5   arguments; clobbered by every call
//   r6 - r9   callee-saved
//   r10       read-only frame pointer: one past the top of the current 512-byte frame

/** Bytes of one stack frame (MAX_BPF_STACK). */
export const FRAME_BYTES = 512;
/** Frames of one run: the program plus nested local calls (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Number of registers, r0-r10 (MAX_BPF_REG less the kernel's hidden AX). */
export const REGISTERS = 11;
/** The frame pointer register. */
export const FP = 10;

/**
 * Addresses below this are never mapped: the null guard (one Wasm page), so that NULL and small
 * offsets from it fault.
 */
export const NULL_GUARD = 0x10000;
/**
 * Unmapped bytes between any two regions: more than the reach of one access past either end
 * (a 16-bit signed offset, -32768..32767, plus an 8-byte access), so no single load or store can
 * cross from one region into another, even from a one-past-the-end pointer such as data_end.
 */
export const GUARD_GAP = 0x8010;

/**
 * Code addresses. A function address (lddw src_reg 4, BPF_PSEUDO_FUNC) is
 * 0xffffffff_c0000000 + 8 * slot: outside linear memory (like kernel text), so using one as data
 * faults. `callx` takes either a function address (Linux, clang's function pointers) or a helper
 * ID below 2^31 (uBPF and the bpf_conformance suite); the two ranges cannot meet.
 */
export const FUNC_HI = -1;
export const FUNC_BASE = 0xc000_0000;

/**
 * Strided regions (arrays of map values, stack frames): elements `stride` apart, of which only
 * the first `elemSize` bytes of each are accessible. The gap between two elements is
 * GUARD_GAP when the region's span stays under STRIDED_SPAN bytes, else smaller but never below
 * MIN_ELEM_GAP: address space is linear memory in Wasm, so a 10240-entry hash map cannot have
 * 32 KiB between values. An overrun shorter than the element gap always faults; a longer one
 * may land in another element of the same region (bytes a verified program could reach too).
 */
export const STRIDED_SPAN = 4 << 20;
export const MIN_ELEM_GAP = 64;

/** Distance between two stack frames of one run: a frame and a full guard gap. */
export const FRAME_STRIDE = FRAME_BYTES + GUARD_GAP;

/**
 * The region table: the accessible regions mirrored in linear memory, so that compiled code
 * (a Wasm JIT) can check an address without calling out. It lives in the null guard page, which
 * programs can never access. Entries are sorted by start and rewritten by every allocate,
 * release, move or frame change; when they outgrow the page they move to a reserved block
 * elsewhere and the header says where.
 *
 *   REGION_TABLE (0x100), header, 16 bytes:
 *   +0  u32 REGION_TABLE_MAGIC ('RGN1')
 *   +4  u32 count            entries in use
 *   +8  u32 entries          address of entry 0 (REGION_ENTRIES unless moved)
 *   +12 u32 capacity         entries that fit at that address
 *
 *   entry k at entries + 32 * k, u32 little-endian:
 *   +0  start     first accessible byte
 *   +4  end       one past the last accessible byte (of the last element if strided)
 *   +8  stride    0: plain; else the distance between elements
 *   +12 elemSize  accessible bytes per element (= end - start when plain)
 *   +16 flags     bit 0 writable; bits 8-15 REGION_KIND code
 *   +20 parent    start of the reservation the region is a window of (0: none)
 *   +24 reserved 0, +28 reserved 0
 *
 *   An access [a, a + n) is allowed iff some entry has start <= a, a + n <= end, and
 *   (stride == 0 or (a - start) % stride + n <= elemSize), and for writes flags & 1.
 */
export const REGION_TABLE = 0x100;
export const REGION_TABLE_MAGIC = 0x314e4752;
export const REGION_ENTRIES = 0x200;
export const REGION_ENTRY_BYTES = 32;
export const REGION_WRITABLE = 1;
/** Codes of RegionKind in an entry's flags (bits 8-15). */
export const REGION_KIND = {
  stack: 1,
  ctx: 2,
  packet: 3,
  map: 4,
  ringbuf: 5,
  mem: 6,
  global: 7,
  scratch: 8,
} as const;

/**
 * Map lookups in compiled code (the JIT's native bpf_map_lookup_elem): the map registry's table
 * of lookup descriptors, by map id, in a reservation that programs never access. Its header is in
 * the null guard page after the region table's, 8 bytes:
 *   +0 u32 address of the table (0: no table in this space)
 *   +4 u32 entries (map ids below this have one)
 * Entry `id` at table + 32 * id, u32 little-endian:
 *   +0  the handle address of map `id` (0: none); a handle holds its map id in its first word, so
 *       r1 is a genuine handle iff entry[load32(r1)].handle == r1
 *   +4  LOOKUP_KIND
 *   +8  key size
 *   +12 array: max_entries          hash: index mask (capacity - 1)
 *   +16 array: address of value 0   hash: address of the index
 *   +20 array: distance of values   hash: bytes of an index entry
 *   +24 per-CPU array: distance of one value's CPU copies
 *   +28 per-CPU array: CPUs (copies of a value)
 * A hash index entry is a u32 value address (0: empty) and the key, zero-padded to 4 bytes;
 * linear probing from lookupHash(key) & mask (maps/hash-index.ts).
 */
export const MAP_HANDLES = 0x110;
export const MAP_ENTRY_BYTES = 32;
export const LOOKUP_KIND = { none: 0, array: 1, hash: 2, percpuArray: 3 } as const;
/**
 * u32: the CPU of the run in progress (the helpers' env.cpu), in the null guard page after the
 * map table's header: the host sets it before each run (AddressSpace.setRunCpu: a store only
 * when it changes), so compiled code can pick a per-CPU value without calling out.
 */
export const RUN_CPU = 0x118;

/** A map's lookup layout as its descriptor holds it (kind none: looked up in JavaScript). */
export interface LookupLayout {
  readonly kind: (typeof LOOKUP_KIND)[keyof typeof LOOKUP_KIND];
  readonly keySize: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** Per-CPU array: distance of a value's CPU copies, and the CPUs. */
  readonly d?: number;
  readonly e?: number;
}

/** Keys longer than this are looked up in JavaScript only. */
export const MAX_INDEXED_KEY = 64;

/**
 * The hash of a key for the index: its little-endian 32-bit words (the last one zero-padded),
 * each mixed in by xor, a multiply by 0x9e3779b1 and an xorshift; compiled code computes the same.
 */
export function lookupHash(key: Uint8Array, keySize: number): number {
  const byte = (i: number) => (i < keySize ? key[i]! : 0);
  let h = 0;
  for (let i = 0; i < keySize; i += 4) {
    const w = byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24);
    h = Math.imul(h ^ w, 0x9e3779b1);
    h ^= h >>> 15;
  }
  return (h ^ (h >>> 16)) >>> 0;
}
