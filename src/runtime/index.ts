// The concrete machine shared by the engines: the address space, the Engine and helper
// contracts, maps, program contexts, helper implementations and the VM backend (loadCollection
// with an injected engine). No engine lives here.

export * from './abi.js';
export * from './backend.js';
export * from './clock.js';
export * from './conntrack.js';
export * from './context/index.js';
export * from './engine.js';
export * from './helper.js';
export * from './helpers/index.js';
export * from './lddw.js';
export * from './maps/index.js';
export * from './memory.js';
export * from './stack.js';
export * from './vm/index.js';
