// The part of the host's WebAssembly API the JIT uses, typed here because the ES2022 lib has no
// WebAssembly types (runtime/memory.ts does the same for Memory). Node and browsers both have it.

export interface WasmGlobal {
  value: number | bigint;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmModule {
  readonly __brand?: 'WasmModule';
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Global: new (descriptor: { value: 'i32' | 'i64'; mutable: boolean }, init?: number | bigint) => WasmGlobal;
}

/** The host's WebAssembly namespace. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
