// CO-RE relocation (layer 1, pure): given the local BTF a program was compiled against, one
// relocation record and a target BTF, compute what the instruction must become — libbpf's
// algorithm (relo_core.c) over tsbpf's parsed BTF. Patching instructions is program/'s job.
export * from './access.js';
export * from './candidates.js';
export * from './compat.js';
export * from './describe.js';
export * from './kinds.js';
export * from './matches.js';
export * from './names.js';
export * from './resolve.js';
export * from './target.js';
export * from './types.js';
export * from './value.js';
