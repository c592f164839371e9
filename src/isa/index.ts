// The instruction set (RFC 9669, v1-v4): opcode constants, the instruction record,
// kinds, and the byte codec. Layer 0: imports nothing but errors.ts.
export * from './codec.js';
export * from './instruction.js';
export * from './int64.js';
export * from './kind.js';
export * as op from './opcodes.js';
export * from './target.js';
