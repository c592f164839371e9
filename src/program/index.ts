// Program, map and collection specs (layer 2) and the linker that lays out bpf-to-bpf calls.
export * from './link.js';
export * from './types.js';
