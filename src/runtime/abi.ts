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
