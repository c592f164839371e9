// The reference interpreter (layer 4): `new Interpreter(program, options).run(args)`.
// It implements the Engine contract of runtime/; the Wasm JIT implements the same one.
export { Interpreter, STACK_BYTES } from './interpreter.js';
