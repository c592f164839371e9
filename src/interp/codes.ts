// Internal operation codes of the interpreter's hot loop. Most instructions keep their raw
// opcode byte (0x00-0xff); variants that the byte alone does not tell apart (sdiv/smod by off,
// movsx by off, byte swaps by imm, atomics by imm, call kinds by src) and sentinel slots get
// codes from 256 up. The loop in machine.ts switches on these numbers as literals (so V8 builds
// one jump table); keep the two files in step.

/** Signed division and modulo (off = 1), RFC 9669 §4.1. */
export const SDIV32_K = 256;
export const SDIV32_X = 257;
export const SMOD32_K = 258;
export const SMOD32_X = 259;
export const SDIV64_K = 260;
export const SDIV64_X = 261;
export const SMOD64_K = 262;
export const SMOD64_X = 263;
/** Sign-extending moves (MOVSX, off = 8/16/32), RFC 9669 §4.1. */
export const MOVSX32_8 = 264;
export const MOVSX32_16 = 265;
export const MOVSX64_8 = 266;
export const MOVSX64_16 = 267;
export const MOVSX64_32 = 268;
/** Byte order: to little-endian is a truncation on this (little-endian) machine, §4.2. */
export const LE16 = 269;
export const LE32 = 270;
export const LE64 = 271;
/** To big-endian and the unconditional bswap are the same swap on a little-endian machine. */
export const SWAP16 = 272;
export const SWAP32 = 273;
export const SWAP64 = 274;
/** Atomics, §5.3: ATOMIC_BASE + (8-byte ? 10 : 0) + index in ATOMIC_ORDER. */
export const ATOMIC_BASE = 280;
export const ATOMIC_ORDER = [
  'add',
  'or',
  'and',
  'xor',
  'add_fetch',
  'or_fetch',
  'and_fetch',
  'xor_fetch',
  'xchg',
  'cmpxchg',
] as const;
/** `call imm` with src_reg 1 (local function) and 2 (kfunc), §4.3.1. Helpers keep 0x85. */
export const CALL_LOCAL = 300;
export const CALL_KFUNC = 301;
/** Sentinel slots: past the last instruction, a jump to a bad target, the 2nd half of lddw. */
export const FELL_OFF = 302;
export const BAD_JUMP = 303;
export const LDDW_TAIL = 304;
/** callx with a helper ID in its register: case 0x8d re-dispatches to this code (never in code). */
export const CALLX_HELPER = 306;
/** Step-hook mode: every slot traps here first; the real op code waits in word 7 of the slot. */
export const STEP_TRAP = 305;
