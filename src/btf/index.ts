// BTF (layer 1): the .BTF type graph and the .BTF.ext func/line/CO-RE records of an object,
// parsed from bytes. Imports only errors.ts, so both program/ (L2) and elf/ (L3) can use it.
export * from './bytes.js';
export * from './ext.js';
export * from './fixup.js';
export * from './json.js';
export * from './parse.js';
export * from './query.js';
export * from './types.js';
