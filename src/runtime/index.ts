// The concrete machine shared by the engines: the address space, the Engine contract and the
// helper contract. Maps and helper implementations join here later; no engine lives here.

export * from './backend.js';
export * from './engine.js';
export * from './helper.js';
export * from './maps/index.js';
export * from './memory.js';
