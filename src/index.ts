// The public, browser-safe API of tsbpf (layer 6). Everything here runs without Node built-ins;
// the Linux backend is the separate `tsbpf/kernel` entry (src/kernel/index.ts).
export * from './asm/index.js';
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol } from './elf/index.js';
export { loadCollectionSpec, readElf } from './elf/index.js';
export * from './errors.js';
export { Interpreter } from './interp/index.js';
export * from './isa/index.js';
export * from './program/index.js';
export * from './runtime/index.js';
export * from './spec/index.js';
