// The function-body builder: instructions by name, typed locals (parameters first, then locals
// drawn from per-type pools so temporaries are reused), and structured control where a label is
// a handle: `br(label)` turns it into the relative depth the binary format wants (§5.4.1), so
// callers never count nesting by hand. The body is checked to be balanced when finished.

import { ByteWriter } from './bytes.js';
import {
  I32,
  I64,
  MEMORY_FILL,
  MEMORY_OPS,
  MEMORY_SIZE,
  OP,
  type OpName,
  type ValType,
  VOID,
} from './opcodes.js';

/** A local variable (or parameter) of one function. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** An open block, loop or if; valid as a branch target until its `end`. */
export interface Label {
  readonly kind: 'block' | 'loop' | 'if';
  /** Position in the control stack (0 = outermost). */
  readonly level: number;
}

const LOCAL_GET = OP['local.get'];
const LOCAL_SET = OP['local.set'];
const LOCAL_TEE = OP['local.tee'];
const GLOBAL_GET = OP['global.get'];
const GLOBAL_SET = OP['global.set'];
const I32_CONST = OP['i32.const'];
const I64_CONST = OP['i64.const'];

export class FunctionBuilder {
  readonly params: readonly Local[];
  readonly #code = new ByteWriter();
  readonly #locals: ValType[] = [];
  readonly #free: Record<ValType, Local[]> = { [I32]: [], [I64]: [] } as Record<ValType, Local[]>;
  readonly #control: Label[] = [];

  constructor(params: readonly ValType[]) {
    this.params = params.map((type, index) => ({ index, type }));
  }

  /** A fresh local of `type`, never shared. */
  local(type: ValType): Local {
    this.#locals.push(type);
    return { index: this.params.length + this.#locals.length - 1, type };
  }

  /** A temporary of `type` from the pool; give it back with release() when done. */
  temp(type: ValType): Local {
    return this.#free[type].pop() ?? this.local(type);
  }

  release(...locals: Local[]): void {
    for (const l of locals) this.#free[l.type].push(l);
  }

  op(name: OpName): this {
    const code = OP[name];
    // Loads and stores (0x28-0x3e) carry a memarg.
    if (code >= 0x28 && code <= 0x3e) throw new RangeError(`${name} needs mem()`);
    this.#code.byte(code);
    return this;
  }

  /** A load or store at the address on the stack plus `offset` (unsigned), natural alignment. */
  mem(name: OpName, offset = 0): this {
    const align = MEMORY_OPS[name];
    if (align === undefined) throw new RangeError(`${name} is not a memory instruction`);
    this.#code.byte(OP[name]).u32(align).u32(offset);
    return this;
  }

  // The most frequent emitters write through one ByteWriter call each (no #indexed hop): a
  // compile makes tens of thousands of them, mostly before V8 optimizes this code.
  i32(value: number): this {
    this.#code.byteS32(I32_CONST, value);
    return this;
  }

  i64(value: bigint | number): this {
    // Most constants are numbers in i32 range: their signed LEB128 is the same at 64 bits.
    if (typeof value === 'number' && (value | 0) === value) this.#code.byteS32(I64_CONST, value);
    else this.#code.byte(I64_CONST).s64(BigInt(value));
    return this;
  }

  get(l: Local): this {
    if (l.index < 0x80) this.#code.byte2(LOCAL_GET, l.index);
    else this.#code.byte(LOCAL_GET).u32(l.index);
    return this;
  }

  set(l: Local): this {
    if (l.index < 0x80) this.#code.byte2(LOCAL_SET, l.index);
    else this.#code.byte(LOCAL_SET).u32(l.index);
    return this;
  }

  tee(l: Local): this {
    return this.#indexed(LOCAL_TEE, l.index);
  }

  globalGet(index: number): this {
    return this.#indexed(GLOBAL_GET, index);
  }

  globalSet(index: number): this {
    return this.#indexed(GLOBAL_SET, index);
  }

  /** An opcode and a u32 index: two bytes when the index is below 128, as it mostly is. */
  #indexed(opcode: number, index: number): this {
    if (index >= 0 && index < 0x80) this.#code.byte2(opcode, index);
    else this.#code.byte(opcode).u32(index);
    return this;
  }

  call(func: number): this {
    this.#code.byte(OP.call).u32(func);
    return this;
  }

  /** call_indirect through table 0 with the function type `type`. */
  callIndirect(type: number): this {
    this.#code.byte(OP.call_indirect).u32(type).u32(0);
    return this;
  }

  /** memory.fill: (dest, value, length) on the stack. */
  memoryFill(): this {
    this.#code.bytes(MEMORY_FILL);
    return this;
  }

  /** memory.size: the memory's size in 64 KiB pages (i32). */
  memorySize(): this {
    this.#code.bytes(MEMORY_SIZE);
    return this;
  }

  /** Opens a block; `result` is the block's value type (default none). */
  block(result: ValType | typeof VOID = VOID): Label {
    return this.#open('block', OP.block, result);
  }

  loop(result: ValType | typeof VOID = VOID): Label {
    return this.#open('loop', OP.loop, result);
  }

  /** Opens an if on the i32 condition on the stack. */
  if(result: ValType | typeof VOID = VOID): Label {
    return this.#open('if', OP.if, result);
  }

  else(label: Label): this {
    if (label.kind !== 'if' || this.#control[this.#control.length - 1] !== label)
      throw new RangeError('else without its if on top');
    this.#code.byte(OP.else);
    return this;
  }

  /** Closes `label`, which must be the innermost open one. */
  end(label: Label): this {
    if (this.#control.pop() !== label) throw new RangeError('end of a label that is not innermost');
    this.#code.byte(OP.end);
    return this;
  }

  br(label: Label): this {
    this.#code.byte(OP.br).u32(this.depth(label));
    return this;
  }

  brIf(label: Label): this {
    this.#code.byte(OP.br_if).u32(this.depth(label));
    return this;
  }

  brTable(targets: readonly Label[], otherwise: Label): this {
    this.#code.byte(OP.br_table).u32(targets.length);
    for (const t of targets) this.#code.u32(this.depth(t));
    this.#code.u32(this.depth(otherwise));
    return this;
  }

  /** The relative depth of `label` from here (0: the innermost open label). */
  depth(label: Label): number {
    const k = this.#control.length - 1 - label.level;
    if (k < 0 || this.#control[label.level] !== label) throw new RangeError('branch to a closed label');
    return k;
  }

  #open(kind: Label['kind'], opcode: number, result: number): Label {
    const label: Label = { kind, level: this.#control.length };
    this.#control.push(label);
    this.#code.byte(opcode).byte(result);
    return label;
  }

  /** Locals declaration and body, ending with the final `end` (the code entry of §5.5.13). */
  encode(w: ByteWriter): void {
    if (this.#control.length !== 0) throw new RangeError(`${this.#control.length} labels left open`);
    const runs: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    w.sized((body) => {
      body.u32(runs.length);
      for (const [n, t] of runs) body.u32(n).byte(t);
      body.bytes(this.#code.view()).byte(OP.end);
    });
  }
}

export { I32, I64 };
