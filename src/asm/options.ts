// Options of the disassembler (syntax, number style, labels) and of the assembler, with the
// defaults resolved in one place. The formatters take the resolved form; they never look at
// `undefined`.

/** A named position in the program, in bytes from its start (as an ELF symbol's value is). */
export interface SymbolAt {
  readonly name: string;
  readonly offset: number;
}

export interface FormatOptions {
  /** `pseudo-c` (LLVM / kernel C-like, the default) or `mnemonic` (uBPF / bpf_conformance). */
  readonly syntax?: 'pseudo-c' | 'mnemonic';
  /**
   * Pseudo-C only. `llvm`: as `llvm-objdump-19 -d` prints (hex, `goto +0x3`, `r1 = 0x5 ll`).
   * `kernel`: as the kernel's print_bpf_insn() prints in verifier logs and bpftool
   * (decimal, `goto pc+3`, `call bpf_map_lookup_elem#1`).
   */
  readonly numbers?: 'llvm' | 'kernel';
  /**
   * LLVM style only: print 8/16/32-bit loads, stores and 32-bit atomics with `w` registers, as
   * `llvm-objdump-19 --mcpu=v3/v4` (alu32) does. Default false (plain `llvm-objdump-19 -d`).
   */
  readonly alu32?: boolean;
  /**
   * Print exactly what llvm-objdump / the kernel prints, even where that drops fields
   * (the src of a call, the kfunc offset, the second word of `ld_pseudo`, the imm of LLVM's
   * `skb[rN]`). Default false: the output always assembles back to the same instruction.
   */
  readonly exact?: boolean;
  /** Kernel style: prefix each instruction with its opcode, `(b7) r0 = 0`. Default true for kernel. */
  readonly opcodes?: boolean;
  /** Kernel style: the name of helper `id` for `call NAME#id`; unknown ids print `unknown`. */
  readonly helperName?: (id: number) => string | undefined;
  /** LLVM style: symbols for the `<sym+0x..>` note after jump targets, as objdump prints. */
  readonly symbols?: readonly SymbolAt[];
}

export interface DisassembleOptions extends FormatOptions {
  /** Name jump and call targets with labels (`goto L7`) instead of offsets. Default false. */
  readonly labels?: boolean;
  /** Prefix each line with its slot number, as objdump and the verifier log do. Default false. */
  readonly addresses?: boolean;
}

export interface ResolvedFormat {
  readonly syntax: 'pseudo-c' | 'mnemonic';
  readonly kernel: boolean;
  readonly alu32: boolean;
  readonly exact: boolean;
  readonly opcodes: boolean;
  readonly helperName: (id: number) => string | undefined;
  readonly symbols: readonly SymbolAt[];
  /** Label for a target slot, when labels are on and the slot starts an instruction. */
  readonly labelAt: (slot: number) => string | undefined;
}

export function resolveFormat(
  o: FormatOptions,
  labelAt: (slot: number) => string | undefined = () => undefined,
): ResolvedFormat {
  const syntax = o.syntax ?? 'pseudo-c';
  const kernel = syntax === 'pseudo-c' && o.numbers === 'kernel';
  return {
    syntax,
    kernel,
    alu32: !kernel && (o.alu32 ?? false),
    exact: o.exact ?? false,
    opcodes: kernel && (o.opcodes ?? true),
    helperName: o.helperName ?? (() => undefined),
    symbols: [...(o.symbols ?? [])].sort((a, b) => a.offset - b.offset),
    labelAt,
  };
}

export interface AssembleOptions {
  /** `auto` (the default) decides per line; the others reject lines of the other syntax. */
  readonly syntax?: 'auto' | 'pseudo-c' | 'mnemonic';
}
