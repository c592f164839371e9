// The Wasm emitter of the JIT: bytes and LEB128, function bodies with labels and local pools,
// modules. No dependency; everything it emits is validated by WebAssembly.validate in tests.
export { ByteWriter, readS64, readU32 } from './bytes.js';
export { FunctionBuilder, type Label, type Local } from './function.js';
export { Wasm, type WasmApi, type WasmGlobal, type WasmInstance } from './host.js';
export { type FuncType, ModuleBuilder } from './module.js';
export { I32, I64, type OpName, type ValType, VOID } from './opcodes.js';
