// fast-check arbitraries for random straight-line-and-forward-branch eBPF programs that the
// kernel's verifier accepts by construction, and the frame (prologue/epilogue) that makes their
// full 64-bit results observable through an array map value. Not a general fuzzer: no helpers,
// no calls, no loops, no pointers other than r10 into an initialised stack window.

import fc from 'fast-check';
import {
  ALU_CODE,
  type AluOp,
  atomicImm,
  BINARY_ALU_OPS,
  type Instruction,
  insn,
  JMP_CODE,
  JMP_CONDITIONS,
  lddw,
  op as O,
  SIZE_CODE,
} from '../../src/isa/index.js';

/** Stack window the body may touch: [r10 - WINDOW, r10), fully written by the prologue. */
export const WINDOW = 64;
/** Where the epilogue spills r0-r9 before copying them out: [r10 - SPILL_END, r10 - WINDOW). */
const SPILL_END = WINDOW + 80;
/**
 * The map value: 18 result words the epilogue writes (r0..r9, then the window's 8 slots from
 * r10-64 upwards), then 18 input words the opaque prologue reads (initial r0..r9, then the window).
 */
export const RESULT_WORDS = 10 + WINDOW / 8;
export const RESULT_BYTES = RESULT_WORDS * 8;
export const VALUE_BYTES = 2 * RESULT_BYTES;

export interface GeneratedProgram {
  /** Initial values of r0-r9 (unsigned 64-bit). */
  readonly regs: readonly bigint[];
  /** Initial 64-bit words of the stack window, lowest address first. */
  readonly stack: readonly bigint[];
  /** The random instructions; every jump is forward and lands inside the body or at its end. */
  readonly body: readonly Instruction[];
  /**
   * Load the initial values from the map value at run time instead of lddw constants, so the
   * verifier cannot know them: it must keep both sides of every branch and cannot fold any
   * comparison, and the kernel's JIT (not its verifier) decides every jump.
   */
  readonly opaque?: boolean;
}

/** A 64-bit value, biased towards the edges where ALU semantics differ. */
export const u64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(
    0n,
    1n,
    (1n << 64n) - 1n,
    1n << 63n,
    (1n << 63n) - 1n,
    0x80000000n,
    0x7fffffffn,
    0xffffffffn,
    0xffffffff80000000n,
    0x100000000n,
    0x8000n,
    0x80n,
  ),
  fc.bigInt({ min: -300n, max: 300n }).map((v) => BigInt.asUintN(64, v)),
);

/** A signed 32-bit immediate, biased the same way. */
const immArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, -0x80000000, 0x7fffffff, 0x8000, 0xffff, 0x80, 0xff),
  fc.integer({ min: -70, max: 70 }),
);

/** r0-r9: every register the body may read or write (never r10). */
const regArb = fc.integer({ min: 0, max: 9 });

const BINARY = BINARY_ALU_OPS;
const CONDS = JMP_CONDITIONS;
const SIZE = SIZE_CODE;
const cls = (alu64: boolean) => (alu64 ? O.BPF_ALU64 : O.BPF_ALU);
const signedOff = (aop: AluOp) => (aop === 'sdiv' || aop === 'smod' ? 1 : 0);

/** dst op= imm. The verifier refuses a zero divisor and shifts by >= the width (kernel check_alu_op). */
const aluImm = fc
  .record({ alu64: fc.boolean(), aop: fc.constantFrom(...BINARY), dst: regArb, imm: immArb })
  .map(({ alu64, aop, dst, imm }) => {
    let k = imm;
    if (aop === 'lsh' || aop === 'rsh' || aop === 'arsh') k = (imm >>> 0) % (alu64 ? 64 : 32);
    if ((aop === 'div' || aop === 'sdiv' || aop === 'mod' || aop === 'smod') && k === 0) k = 1;
    return insn(cls(alu64) | ALU_CODE[aop] | O.BPF_K, dst, 0, signedOff(aop), k);
  });

/** dst op= src; a zero divisor is defined at run time (RFC 9669 §4.1), shifts are masked. */
const aluReg = fc
  .record({ alu64: fc.boolean(), aop: fc.constantFrom(...BINARY), dst: regArb, src: regArb })
  .map(({ alu64, aop, dst, src }) => insn(cls(alu64) | ALU_CODE[aop] | O.BPF_X, dst, src, signedOff(aop), 0));

const neg = fc
  .record({ alu64: fc.boolean(), dst: regArb })
  .map(({ alu64, dst }) => insn(cls(alu64) | O.BPF_NEG | O.BPF_K, dst, 0, 0, 0));

/** movsx: off 8/16/32 for ALU64, 8/16 for ALU (RFC 9669 §4.1). */
const movsx = fc
  .record({ alu64: fc.boolean(), dst: regArb, src: regArb, w: fc.constantFrom(8, 16, 32) })
  .map(({ alu64, dst, src, w }) =>
    insn(cls(alu64) | O.BPF_MOV | O.BPF_X, dst, src, alu64 ? w : Math.min(w, 16), 0),
  );

/** le/be (class ALU) and bswap (class ALU64), widths 16/32/64 (RFC 9669 §4.2). */
const endian = fc
  .record({ order: fc.constantFrom('le', 'be', 'bswap'), dst: regArb, bits: fc.constantFrom(16, 32, 64) })
  .map(({ order, dst, bits }) => {
    const opc =
      order === 'bswap'
        ? O.BPF_ALU64 | O.BPF_END
        : O.BPF_ALU | O.BPF_END | (order === 'be' ? O.BPF_TO_BE : O.BPF_TO_LE);
    return insn(opc, dst, 0, 0, bits);
  });

/** Conditional forward jump; `off` is a raw pick reduced to the room left by `fixJumps`. */
const jump = fc
  .record({
    jmp32: fc.boolean(),
    cond: fc.constantFrom(...CONDS),
    byReg: fc.boolean(),
    dst: regArb,
    src: regArb,
    imm: immArb,
    pick: fc.integer({ min: 0, max: 0x7fff }),
  })
  .map(({ jmp32, cond, byReg, dst, src, imm, pick }) =>
    insn(
      (jmp32 ? O.BPF_JMP32 : O.BPF_JMP) | JMP_CODE[cond] | (byReg ? O.BPF_X : O.BPF_K),
      dst,
      byReg ? src : 0,
      pick,
      byReg ? 0 : imm,
    ),
  );

/** An aligned offset from r10 inside the window for an access of `bytes`. */
const slot = (bytes: 1 | 2 | 4 | 8) =>
  fc.integer({ min: 0, max: WINDOW / bytes - 1 }).map((k) => -WINDOW + k * bytes);
const sizeArb = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);

/** ldx / ldxsx from the window (sign-extending loads exist for 1, 2, 4 bytes: RFC 9669 §5.2). */
const load = fc
  .record({ bytes: sizeArb, signed: fc.boolean(), dst: regArb, pick: fc.nat() })
  .chain(({ bytes, signed, dst }) =>
    slot(bytes).map((off) => {
      const sx = signed && bytes !== 8;
      return insn(O.BPF_LDX | (sx ? O.BPF_MEMSX : O.BPF_MEM) | SIZE[bytes], dst, O.R10, off, 0);
    }),
  );

/** stx (register) or st (immediate) into the window. */
const store = fc
  .record({ bytes: sizeArb, byReg: fc.boolean(), src: regArb, imm: immArb })
  .chain(({ bytes, byReg, src, imm }) =>
    slot(bytes).map((off) =>
      byReg
        ? insn(O.BPF_STX | O.BPF_MEM | SIZE[bytes], O.R10, src, off, 0)
        : insn(O.BPF_ST | O.BPF_MEM | SIZE[bytes], O.R10, 0, off, imm),
    ),
  );

/** Atomics on the window: add/or/and/xor with or without fetch, xchg, cmpxchg; 32 and 64 bit. */
const atomic = fc
  .record({
    bytes: fc.constantFrom<4 | 8>(4, 8),
    aop: fc.constantFrom('add', 'or', 'and', 'xor', 'xchg', 'cmpxchg'),
    fetch: fc.boolean(),
    src: regArb,
  })
  .chain(({ bytes, aop, fetch, src }) =>
    slot(bytes).map((off) => {
      const f = fetch || aop === 'xchg' || aop === 'cmpxchg';
      return insn(O.BPF_STX | O.BPF_ATOMIC | SIZE[bytes], O.R10, src, off, atomicImm(aop, f));
    }),
  );

export const bodyInsnArb: fc.Arbitrary<Instruction> = fc.oneof(
  { arbitrary: aluImm, weight: 6 },
  { arbitrary: aluReg, weight: 6 },
  { arbitrary: neg, weight: 1 },
  { arbitrary: movsx, weight: 2 },
  { arbitrary: endian, weight: 2 },
  { arbitrary: jump, weight: 3 },
  { arbitrary: load, weight: 3 },
  { arbitrary: store, weight: 3 },
  { arbitrary: atomic, weight: 2 },
);

const isCondJump = (i: Instruction) => {
  const c = O.cls(i.op);
  return (c === O.BPF_JMP || c === O.BPF_JMP32) && O.code(i.op) !== O.BPF_JA && O.code(i.op) !== O.BPF_CALL;
};

/** Reduces each jump's raw pick so it lands in [next insn, end of body]: forward only, no loops. */
export function fixJumps(body: readonly Instruction[]): Instruction[] {
  return body.map((i, at) => (isCondJump(i) ? { ...i, off: i.off % (body.length - at) } : i));
}

export function programArb(maxBody = 64): fc.Arbitrary<GeneratedProgram> {
  return fc.record({
    regs: fc.array(u64Arb, { minLength: 10, maxLength: 10 }),
    stack: fc.array(u64Arb, { minLength: WINDOW / 8, maxLength: WINDOW / 8 }),
    body: fc.array(bodyInsnArb, { minLength: 1, maxLength: maxBody, size: 'max' }).map(fixJumps),
    opaque: fc.boolean(),
  });
}

/** `r<dst> = &map_value + offset`: lddw with src = BPF_PSEUDO_MAP_VALUE, imm = map fd, next imm = offset. */
const mapValue = (dst: number, mapFd: number, offset: number): Instruction => ({
  ...lddw(dst, 0n, O.BPF_PSEUDO_MAP_VALUE),
  imm: mapFd,
  hi: offset,
});
const ldx64 = (dst: number, src: number, off: number) =>
  insn(O.BPF_LDX | O.BPF_MEM | O.BPF_DW, dst, src, off, 0);
const stx64 = (dst: number, src: number, off: number) =>
  insn(O.BPF_STX | O.BPF_MEM | O.BPF_DW, dst, src, off, 0);

/**
 * The prologue: fill the stack window (the verifier refuses reads of uninitialised stack to the
 * unprivileged), then set r0-r9: with lddw, or (opaque) by loading the input words of the map
 * value. Shared by every engine.
 */
export function prologue(p: GeneratedProgram, mapFd: number): Instruction[] {
  const out: Instruction[] = [];
  if (p.opaque === true) {
    out.push(mapValue(1, mapFd, RESULT_BYTES));
    for (let k = 0; k < WINDOW / 8; k++) out.push(ldx64(2, 1, 80 + 8 * k), stx64(O.R10, 2, -WINDOW + 8 * k));
    for (const r of [0, 2, 3, 4, 5, 6, 7, 8, 9, 1]) out.push(ldx64(r, 1, 8 * r));
    return out;
  }
  p.stack.forEach((v, k) => {
    out.push(lddw(1, v), stx64(O.R10, 1, -WINDOW + 8 * k));
  });
  p.regs.forEach((v, r) => {
    out.push(lddw(r, v));
  });
  return out;
}

/**
 * The epilogue: spill r0-r9 below the window, point r1 at the result map value (lddw with
 * src = BPF_PSEUDO_MAP_VALUE, imm = map fd, next imm = offset 0), copy the 18 words there,
 * then `r0 = 0; exit`. `mapFd` is whatever the engine's lddw resolver understands.
 */
export function epilogue(mapFd: number): Instruction[] {
  const out: Instruction[] = [];
  for (let r = 0; r < 10; r++) out.push(stx64(O.R10, r, -SPILL_END + 8 * r));
  out.push(mapValue(1, mapFd, 0));
  for (let w = 0; w < RESULT_WORDS; w++) {
    const from = w < 10 ? -SPILL_END + 8 * w : -WINDOW + 8 * (w - 10);
    out.push(ldx64(2, O.R10, from), stx64(1, 2, 8 * w));
  }
  out.push(insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 0), insn(O.OP_EXIT, 0, 0, 0, 0));
  return out;
}

/** The whole program as loaded: prologue, body, epilogue. */
export function assemble(p: GeneratedProgram, mapFd: number): Instruction[] {
  return [...prologue(p, mapFd), ...p.body, ...epilogue(mapFd)];
}

/** The map value to store before a run: zeroed results, then the inputs the opaque prologue reads. */
export function initialValue(p: GeneratedProgram): Uint8Array {
  const out = new Uint8Array(VALUE_BYTES);
  const v = new DataView(out.buffer);
  [...p.regs, ...p.stack].forEach((w, k) => {
    v.setBigUint64(RESULT_BYTES + 8 * k, w, true);
  });
  return out;
}

/** Reads the RESULT_WORDS little-endian u64 words back from the map value bytes. */
export function resultWords(value: Uint8Array): bigint[] {
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return Array.from({ length: RESULT_WORDS }, (_, w) => v.getBigUint64(8 * w, true));
}
