// The assembler and disassembler (layer 2): pseudo-C (LLVM and kernel styles) and the
// mnemonic syntax of uBPF / bpf_conformance, both directions. Text only: no ELF, no linking.
export { assemble } from './assemble.js';
export { disassemble, formatInstruction } from './disassemble.js';
export type { AssembleOptions, DisassembleOptions, FormatOptions, SymbolAt } from './options.js';
