// ELF64 constants an eBPF object uses: header fields, section types and flags, symbol kinds and
// BPF relocation types. Values from the System V gABI (elf.h) and LLVM's
// Documentation/bpf/llvm_reloc.rst (R_BPF_*). Constants only; parsing is in reader.ts.

/** e_machine of eBPF (EM_BPF). */
export const EM_BPF = 247;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const ET_REL = 1;

export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;

/** Section header indexes with special meaning. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** sh_type values. */
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_SYMTAB_SHNDX = 18;

/** sh_flags bits. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;

/** ELF64_ST_TYPE / ELF64_ST_BIND values. */
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

/** BPF relocation types (llvm_reloc.rst). */
export const R_BPF_NONE = 0;
/** lddw: 64-bit immediate split over the two slots. */
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
/** call: 32-bit PC-relative (in slots) immediate. */
export const R_BPF_64_32 = 10;
