// The module builder: function types (deduplicated), imports (functions, the memory, globals),
// defined functions, one funcref table with an element segment, globals, exports, and the
// encoding of them all in section order (core spec §5.5).

import { ByteWriter } from './bytes.js';
import { FunctionBuilder } from './function.js';
import { EXTERNAL, FUNCREF, I32, OP, SECTION, type ValType } from './opcodes.js';

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

interface Global {
  readonly type: ValType;
  readonly mutable: boolean;
  /** A number when it is an i32 (a compile makes thousands: no BigInt for those). */
  readonly init: bigint | number;
}

type Import =
  | { readonly kind: 'func'; readonly module: string; readonly name: string; readonly type: number }
  | { readonly kind: 'memory'; readonly module: string; readonly name: string; readonly min: number }
  | {
      readonly kind: 'global';
      readonly module: string;
      readonly name: string;
      readonly type: ValType;
      readonly mutable: boolean;
    };

export class ModuleBuilder {
  readonly #types: FuncType[] = [];
  readonly #imports: Import[] = [];
  readonly #functions: { type: number; body: FunctionBuilder }[] = [];
  readonly #globals: Global[] = [];
  readonly #exports: { name: string; kind: number; index: number }[] = [];
  #table: number[] | undefined;
  #importedFuncs = 0;
  #importedGlobals = 0;
  #sealedImports = false;

  /** Index of the function type (params) -> (results), added once. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const k = this.#types.findIndex(
      (t) =>
        t.params.length === params.length &&
        t.results.length === results.length &&
        t.params.every((p, i) => p === params[i]) &&
        t.results.every((r, i) => r === results[i]),
    );
    if (k >= 0) return k;
    this.#types.push({ params: [...params], results: [...results] });
    return this.#types.length - 1;
  }

  #beforeDefinitions(what: string): void {
    if (this.#sealedImports) throw new RangeError(`import ${what} after a definition`);
  }

  /** Imports a function; returns its function index. Imports come before definitions. */
  importFunction(
    module: string,
    name: string,
    params: readonly ValType[],
    results: readonly ValType[],
  ): number {
    this.#beforeDefinitions(name);
    this.#imports.push({ kind: 'func', module, name, type: this.type(params, results) });
    return this.#importedFuncs++;
  }

  /** Imports a (non-shared) memory of at least `min` pages, no maximum. */
  importMemory(module: string, name: string, min = 0): void {
    this.#imports.push({ kind: 'memory', module, name, min });
  }

  /** Imports a global; returns its global index. */
  importGlobal(module: string, name: string, type: ValType, mutable: boolean): number {
    this.#beforeDefinitions(name);
    this.#imports.push({ kind: 'global', module, name, type, mutable });
    return this.#importedGlobals++;
  }

  /** Declares a function of type (params) -> (results); returns its index and its body builder. */
  defineFunction(
    params: readonly ValType[],
    results: readonly ValType[],
  ): { index: number; body: FunctionBuilder } {
    this.#sealedImports = true;
    const body = new FunctionBuilder(params);
    this.#functions.push({ type: this.type(params, results), body });
    return { index: this.#importedFuncs + this.#functions.length - 1, body };
  }

  /** A module-defined global with a constant initial value; returns its global index. */
  global(type: ValType, mutable: boolean, init: bigint | number = 0): number {
    this.#sealedImports = true;
    this.#globals.push({
      type,
      mutable,
      // A number in i32 range stays a number for either type (its signed LEB128 is the same at
      // 64 bits): a large program has a thousand i64 globals, and BigInt is slow before V8 optimizes.
      init:
        typeof init === 'number' && (init | 0) === init
          ? init
          : type === I32
            ? Number(BigInt.asIntN(32, BigInt(init)))
            : BigInt(init),
    });
    return this.#importedGlobals + this.#globals.length - 1;
  }

  exportFunction(name: string, index: number): void {
    this.#exports.push({ name, kind: EXTERNAL.func, index });
  }

  exportGlobal(name: string, index: number): void {
    this.#exports.push({ name, kind: EXTERNAL.global, index });
  }

  /** Table 0 holds these functions at indices 0.. (for call_indirect). */
  table(functions: readonly number[]): void {
    this.#table = [...functions];
  }

  encode(): Uint8Array {
    const w = new ByteWriter();
    w.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, count: number, body: (s: ByteWriter) => void) => {
      if (count === 0) return;
      w.byte(id).sized((s) => {
        s.u32(count);
        body(s);
      });
    };
    section(SECTION.type, this.#types.length, (s) => {
      for (const t of this.#types) {
        s.byte(0x60).u32(t.params.length);
        for (const p of t.params) s.byte(p);
        s.u32(t.results.length);
        for (const r of t.results) s.byte(r);
      }
    });
    section(SECTION.import, this.#imports.length, (s) => {
      for (const i of this.#imports) {
        s.name(i.module).name(i.name);
        if (i.kind === 'func') s.byte(EXTERNAL.func).u32(i.type);
        else if (i.kind === 'memory') s.byte(EXTERNAL.memory).byte(0x00).u32(i.min);
        else
          s.byte(EXTERNAL.global)
            .byte(i.type)
            .byte(i.mutable ? 1 : 0);
      }
    });
    section(SECTION.function, this.#functions.length, (s) => {
      for (const f of this.#functions) s.u32(f.type);
    });
    const table = this.#table;
    if (table !== undefined) {
      section(SECTION.table, 1, (s) => {
        s.byte(FUNCREF).byte(0x01).u32(table.length).u32(table.length);
      });
    }
    section(SECTION.global, this.#globals.length, (s) => {
      for (const g of this.#globals) {
        s.byte(g.type).byte(g.mutable ? 1 : 0);
        s.byte(g.type === I32 ? OP['i32.const'] : OP['i64.const']);
        if (typeof g.init === 'number') s.s32(g.init);
        else s.s64(g.init);
        s.byte(OP.end);
      }
    });
    section(SECTION.export, this.#exports.length, (s) => {
      for (const e of this.#exports) s.name(e.name).byte(e.kind).u32(e.index);
    });
    if (table !== undefined) {
      section(SECTION.element, 1, (s) => {
        s.u32(0).byte(OP['i32.const']).s32(0).byte(OP.end).u32(table.length);
        for (const f of table) s.u32(f);
      });
    }
    section(SECTION.code, this.#functions.length, (s) => {
      for (const f of this.#functions) f.body.encode(s);
    });
    return w.finish();
  }
}
