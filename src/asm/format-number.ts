// Number spellings of the three printers: LLVM's signed hex (`-0x5`), the kernel's `%+d` and
// `0x%x`, and bpf_conformance's immediates (decimal when small or negative, else hex).

/** Signed hex as llvm-objdump prints immediates: `0x5`, `-0x5`, `0x0`. */
export function hexSigned(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

/** Signed hex with an explicit plus, as llvm-objdump prints jump offsets: `+0x2`, `-0x2`. */
export function hexOffset(v: number): string {
  return v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`;
}

/** C's `%+d`: `+4`, `-4`, `+0`. */
export function plusDec(v: number): string {
  return v < 0 ? `${v}` : `+${v}`;
}

/** Unsigned 32-bit hex of a signed immediate, C's `0x%x` of `(u32)imm`. */
export function hexU32(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** bpf_conformance's immediate: decimal if negative (but not INT32_MIN) or within ±10, else hex. */
export function conformanceImm(v: number): string {
  if ((v < 0 && v !== -0x80000000) || (v >= -10 && v <= 10)) return `${v}`;
  return hexU32(v);
}
