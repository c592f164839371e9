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
