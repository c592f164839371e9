// The Wasm JIT (layer 4): `new JitEngine(program, options)` compiles a program to WebAssembly
// and implements the Engine contract of runtime/ beside the interpreter.
export { type Compiled, type CompileOptions, compile } from './compile.js';
export { JitEngine } from './engine.js';
