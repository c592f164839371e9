// Object loading (layer 3): ELF64 EM_BPF objects to CollectionSpecs.
export { loadCollectionSpec } from './load.js';
export { type ElfFile, type ElfRelocation, type ElfSection, type ElfSymbol, readElf } from './reader.js';
