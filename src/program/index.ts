// Program, map and collection specs (layer 2), the linker that lays out bpf-to-bpf calls, and the
// CO-RE relocation pass backends run at load.
export * from './co-re-apply.js';
export * from './co-re-patch.js';
export * from './link.js';
export * from './load-options.js';
export * from './source-line.js';
export * from './types.js';
