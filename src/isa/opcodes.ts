// Opcode field values of the eBPF instruction set, as RFC 9669 (section numbers below)
// and the kernel's uapi <linux/bpf_common.h>, <linux/bpf.h> name them.
// Only constants live here; decoding into instruction kinds is in kind.ts.
//
//  opcode byte, arithmetic and jump classes (RFC 9669 §3.3, §5.1):
//    +----------------+--------+--------------------+
//    |   4 bits code  | 1 bit  |   3 bits class     |
//    |   (operation)  | source |                    |
//    +----------------+--------+--------------------+
//  opcode byte, load and store classes (§5.2):
//    +--------+--------+-------------------+
//    | 3 bits | 2 bits |   3 bits class    |
//    |  mode  |  size  |                   |
//    +--------+--------+-------------------+

/** Instruction classes (§3.3). */
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

/** Source bit (§3.3): immediate (K) or register (X). For BPF_END it selects le (K) / be (X). */
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

/** Arithmetic operation codes (§4.1). */
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

/** Jump operation codes (§4.3). */
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

/** Access sizes (§5.1). */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

/** Load/store modes (§5.2). */
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

/** Atomic operations, carried in imm (§5.3). */
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

/** src_reg values of the 64-bit immediate load (§4.4, kernel BPF_PSEUDO_*). */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

/** src_reg values of BPF_CALL (§4.3.1). */
export const BPF_CALL_HELPER = 0;
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Mask helpers for the opcode byte. */
export const cls = (op: number): number => op & 0x07;
export const src = (op: number): number => op & 0x08;
export const code = (op: number): number => op & 0xf0;
export const size = (op: number): number => op & 0x18;
export const mode = (op: number): number => op & 0xe0;

/** Well-known composite opcodes. */
export const OP_LDDW = BPF_LD | BPF_IMM | BPF_DW; // 0x18
export const OP_CALL = BPF_JMP | BPF_CALL; // 0x85
export const OP_CALLX = BPF_JMP | BPF_CALL | BPF_X; // 0x8d
export const OP_EXIT = BPF_JMP | BPF_EXIT; // 0x95
export const OP_JA = BPF_JMP | BPF_JA; // 0x05
export const OP_GOTOL = BPF_JMP32 | BPF_JA; // 0x06

/** Registers: r0 return value, r1-r5 arguments, r6-r9 callee-saved, r10 frame pointer. */
export const REG_COUNT = 11;
export const R10 = 10;
/** Bytes of stack per frame and the deepest call chain (kernel MAX_BPF_STACK, MAX_CALL_FRAMES). */
export const STACK_SIZE = 512;
export const MAX_CALL_FRAMES = 8;
/** Size in bytes of one instruction slot; lddw takes two. */
export const INSN_SIZE = 8;
