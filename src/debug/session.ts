// DebugSession: a debugger over one recorded test run. `DebugSession.start` loads a collection
// on the interpreter with a step hook, runs one program once (BPF_PROG_TEST_RUN semantics, the
// virtual clock by default) while recorder.ts writes the Trace, and then navigates that trace:
// steps by instruction or C line, over calls and out of them, continues to breakpoints, forwards
// and backwards, showing registers, memory, the packet, the context, maps and the call stack
// exactly as they were at each instruction. No Node imports: a browser page can use it.

import { formatInstruction } from '../asm/index.js';
import { TsbpfError } from '../errors.js';
import { Interpreter } from '../interp/index.js';
import { slotTable } from '../isa/index.js';
import type { CollectionSpec, LineInfo, ProgramSpec } from '../program/index.js';
import { type Clock, loadCollection, type VmCollection, virtualClock } from '../runtime/index.js';
import { ctxKind, helperName, SK_BUFF, XDP_MD } from '../uapi/index.js';
import { verify } from '../verifier/index.js';
import { Cursor } from './cursor.js';
import { type EvalEnv, evaluate, formatValue, type Value } from './expr.js';
import { LineTable } from './lines.js';
import { hexKey, Recorder } from './recorder.js';
import type { FrameKind, RunEnd, Trace } from './trace.js';

export interface DebugOptions {
  /** The program to run (default: the first of the object). */
  readonly program?: string;
  /** The packet (data_in) of the test run. */
  readonly packet?: Uint8Array;
  /** ctx_in of the test run. */
  readonly ctx?: Uint8Array;
  /** Clocks of bpf_ktime_get_*_ns; default a virtual clock, so a session replays identically. */
  readonly clock?: Clock;
  /** Seed of bpf_get_prandom_u32 (default the VM's fixed seed). */
  readonly seed?: number;
  /** Instruction budget of each program run (the trace holds at most this many positions per run). */
  readonly budget?: number;
  /** Verify programs before running (default true, as load() does). */
  readonly verify?: boolean;
  /** Called with the loaded collection before the run: fill maps here. */
  readonly setup?: (collection: VmCollection) => void;
}

/** Where the session is: one executed instruction (not yet run) of one program. */
export interface DebugLocation {
  readonly position: number;
  readonly program: string;
  readonly pc: number;
  /** The instruction in the kernel's pseudo-C. */
  readonly instruction: string;
  readonly line?: LineInfo;
  /** The function (BTF func_info) the slot belongs to. */
  readonly function: string;
}

export interface DebugFrame extends DebugLocation {
  /** How the frame was entered. */
  readonly kind: FrameKind;
}

export type DebugBreakpoint =
  | { readonly kind: 'pc'; readonly pc: number; readonly program?: string; readonly condition?: string }
  | { readonly kind: 'line'; readonly line: number; readonly file?: string; readonly condition?: string }
  /** Stops where the condition becomes true (false or unreadable at the position before). */
  | { readonly kind: 'condition'; readonly condition: string }
  /** Stops where the expression's value changes (gdb's watch); an unreadable value counts as one. */
  | { readonly kind: 'change'; readonly expression: string }
  /** Stops before a helper call (any, or the one named: `map_update_elem`, `bpf_map_update_elem` or an id). */
  | { readonly kind: 'helper'; readonly helper?: string | number }
  /** Stops after a step that changed a map's entries (any map, or the one named). */
  | { readonly kind: 'map'; readonly map?: string }
  /** Stops at the instruction that faulted (continue always does; listed for completeness). */
  | { readonly kind: 'fault' };

export interface DebugBreakpointInfo {
  readonly id: number;
  readonly breakpoint: DebugBreakpoint;
  /** Deleted after its first stop (gdb's tbreak). */
  readonly temporary: boolean;
  /** For line breakpoints: the line it was moved to (the first with code), or undefined if none has. */
  readonly resolved?: { readonly line: number; readonly file: string };
  hits: number;
}

export type DebugStopReason = 'step' | 'breakpoint' | 'exit' | 'fault' | 'start';

export interface DebugStop {
  readonly reason: DebugStopReason;
  readonly location: DebugLocation;
  /** The breakpoint that stopped a continue or step. */
  readonly breakpoint?: number;
}

export type DebugDirection = 'forward' | 'backward';

interface ProgramView {
  readonly spec: ProgramSpec;
  readonly lines: LineTable;
  readonly text: readonly string[];
}

export class DebugSession {
  readonly #trace: Trace;
  readonly #cursor: Cursor;
  readonly #programs: readonly ProgramView[];
  readonly #collection: VmCollection;
  readonly #program: ProgramView;
  readonly #breakpoints = new Map<number, DebugBreakpointInfo & { slots?: Map<number, Set<number>> }>();
  readonly #watches: string[] = [];
  #nextBreakpoint = 1;

  private constructor(trace: Trace, collection: VmCollection, program: number) {
    this.#trace = trace;
    this.#collection = collection;
    this.#cursor = new Cursor(trace);
    this.#programs = collection.spec.programs.map((spec) => {
      const { slotOf } = slotTable(spec.instructions);
      const slots = slotOf[spec.instructions.length]!;
      const text: string[] = new Array(slots).fill('');
      spec.instructions.forEach((i, n) => {
        text[slotOf[n]!] = formatInstruction(i, slotOf[n]!);
      });
      return { spec, lines: new LineTable(spec, slots), text };
    });
    this.#program = this.#programs[program]!;
  }

  /**
   * Loads `spec` on the interpreter, runs one program once over `options.packet` while recording
   * every step, and returns the session paused at the first instruction.
   */
  static start(spec: CollectionSpec, options: DebugOptions = {}): DebugSession {
    const recorder = new Recorder();
    const verifying = options.verify ?? true;
    const collection = loadCollection(spec, {
      engine: (program, o) => new Interpreter(program, { ...o, onStep: recorder.hookFor(program) }),
      clock: options.clock ?? virtualClock(),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      ...(verifying ? { verify: (p, helpers, maps) => verify(p, { helpers, maps, full: true }) } : {}),
    });
    try {
      const names = collection.spec.programs.map((p) => p.name);
      const name = options.program ?? names[0];
      const index = names.indexOf(name ?? '');
      if (index < 0)
        throw new TsbpfError('INVALID_ARGUMENT', `no program '${name}' (have ${names.join(', ')})`);
      options.setup?.(collection);
      recorder.attach(collection);
      let end: RunEnd;
      try {
        const r = collection.program(name!).run({
          data: options.packet ?? new Uint8Array(0),
          ...(options.ctx === undefined ? {} : { ctx: options.ctx }),
        });
        end = { kind: 'exit', retval: r.retval, data: r.data };
      } catch (e) {
        // A run refused before its first instruction (a packet too short...) has nothing to debug.
        if (recorder.trace.length === 0) throw e;
        end = { kind: 'fault', error: e instanceof Error ? e : new Error(String(e)) };
      }
      return new DebugSession(recorder.finish(end), collection, index);
    } catch (e) {
      collection.close();
      throw e;
    }
  }

  /** Positions recorded: instructions executed, the faulting one included. */
  get length(): number {
    return this.#trace.length;
  }

  get position(): number {
    return this.#cursor.position;
  }

  /** How the run ended: the return value and output packet, or the error. */
  get end(): RunEnd {
    return this.#trace.end!;
  }

  /** Bytes the recorded deltas take (the memory cost of stepping back; the initial image aside). */
  get traceBytes(): number {
    return this.#trace.deltaBytes;
  }

  /** The program the session ran (tail calls may run others: see location().program). */
  get program(): ProgramSpec {
    return this.#program.spec;
  }

  /** Every program of the collection (disassembly, lines). */
  get programs(): readonly ProgramSpec[] {
    return this.#programs.map((p) => p.spec);
  }

  /** Moves to position `k` (0 .. length - 1). */
  seek(k: number): DebugLocation {
    this.#cursor.seek(k);
    return this.location();
  }

  location(k = this.position): DebugLocation {
    const t = this.#trace;
    const view = this.#programs[t.program.get(k)]!;
    const pc = t.pc.get(k);
    const line = view.lines.at(pc);
    return {
      position: k,
      program: view.spec.name,
      pc,
      instruction: view.text[pc] ?? '',
      ...(line === undefined ? {} : { line }),
      function: functionAt(view.spec, pc),
    };
  }

  /** r0..r10 at the current position. */
  registers(): readonly bigint[] {
    return this.#cursor.registers;
  }

  /** Bytes of the address space the session holds (the largest the run made it). */
  get memorySize(): number {
    return this.#cursor.memory.length;
  }

  /** `size` bytes of the address space at the current position. */
  read(addr: number, size: number): Uint8Array {
    const m = this.#cursor.memory;
    if (!Number.isInteger(addr) || addr < 0 || size < 0 || addr + size > m.length)
      throw new TsbpfError('INVALID_ARGUMENT', `0x${addr.toString(16)}+${size} is outside the address space`);
    return m.slice(addr, addr + size);
  }

  /** The packet's bytes [data, data_end) at the current position, with data's address. */
  packet(): { readonly start: number; readonly bytes: Uint8Array } {
    const { start, end } = this.#packetBounds();
    const ok = end >= start && end <= this.#cursor.memory.length;
    return { start, bytes: ok ? this.#cursor.memory.slice(start, end) : new Uint8Array(0) };
  }

  /** The context's fields by name (xdp_md or __sk_buff) at the current position. */
  context(): { readonly name: string; readonly value: bigint }[] {
    const kind = ctxKind(this.#program.spec.type);
    if (kind === undefined) return [];
    const fields = kind === 'xdp_md' ? XDP_MD : SK_BUFF;
    return fields.map((f) => ({ name: f.name, value: this.#readNumber(this.#trace.ctx + f.offset, f.size) }));
  }

  /** The stack frame of the current function: 8-byte slots below r10 (fp-8 ... fp-512). */
  stackSlots(): { readonly offset: number; readonly value: Uint8Array }[] {
    const fp = Number(this.#cursor.registers[10]! & 0xffffffffn);
    const out: { offset: number; value: Uint8Array }[] = [];
    for (let off = -8; off >= -512; off -= 8)
      if (fp + off >= 0) out.push({ offset: off, value: this.#cursor.memory.slice(fp + off, fp + off + 8) });
    return out;
  }

  /** Every tracked map's entries at the current position (key and value bytes in hex). */
  maps(): ReadonlyMap<string, ReadonlyMap<string, Uint8Array>> {
    return this.#cursor.maps;
  }

  /** The call stack, innermost first: bpf-to-bpf calls, callbacks, and the tail calls that led here. */
  callStack(): DebugFrame[] {
    const t = this.#trace;
    const out: DebugFrame[] = [];
    let k = this.position;
    for (;;) {
      const f = t.frames[t.frame.get(k)]!;
      out.push({ ...this.location(k), kind: f.kind });
      if (f.callPosition < 0) return out;
      k = f.callPosition;
    }
  }

  // ---- breakpoints and watches ------------------------------------------------------------

  /** Adds a breakpoint; line breakpoints move to the first line with code at or after theirs. */
  addBreakpoint(breakpoint: DebugBreakpoint, temporary = false): DebugBreakpointInfo {
    const id = this.#nextBreakpoint++;
    let resolved: { line: number; file: string } | undefined;
    let slots: Map<number, Set<number>> | undefined;
    if (breakpoint.kind === 'line') {
      const per = this.#programs.map((p) => p.lines.resolve(breakpoint.line, breakpoint.file));
      const best = Math.min(...per.map((r) => r?.line ?? Number.POSITIVE_INFINITY));
      slots = new Map();
      per.forEach((r, k) => {
        if (r !== undefined && r.line === best) {
          slots!.set(k, new Set(r.slots));
          resolved = { line: r.line, file: r.file };
        }
      });
    } else if (breakpoint.kind === 'pc') {
      const k =
        breakpoint.program === undefined
          ? this.#programs.indexOf(this.#program)
          : this.#programs.findIndex((p) => p.spec.name === breakpoint.program);
      if (k < 0) throw new TsbpfError('INVALID_ARGUMENT', `no program '${breakpoint.program}'`);
      slots = new Map([[k, new Set([breakpoint.pc])]]);
    } else if (breakpoint.kind === 'condition') {
      evaluateCheck(breakpoint.condition);
    } else if (breakpoint.kind === 'change') {
      evaluateCheck(breakpoint.expression);
    }
    const info = {
      id,
      breakpoint,
      temporary,
      hits: 0,
      ...(resolved === undefined ? {} : { resolved }),
      ...(slots === undefined ? {} : { slots }),
    };
    this.#breakpoints.set(id, info);
    return publicInfo(info);
  }

  deleteBreakpoint(id: number): boolean {
    return this.#breakpoints.delete(id);
  }

  clearBreakpoints(): void {
    this.#breakpoints.clear();
  }

  breakpoints(): DebugBreakpointInfo[] {
    return [...this.#breakpoints.values()].map(publicInfo);
  }

  addWatch(expression: string): number {
    evaluateCheck(expression);
    return this.#watches.push(expression) - 1;
  }

  /** Every watch expression evaluated at the current position. */
  watches(): { readonly expression: string; readonly value: string }[] {
    return this.#watches.map((expression) => ({ expression, value: this.print(expression) }));
  }

  /** An expression's value at the current position (expr.ts); throws ExpressionError. */
  evaluate(expression: string): Value {
    return evaluate(expression, this.#env());
  }

  /** An expression's value as text, or its error as `<message>`. */
  print(expression: string): string {
    try {
      return formatValue(this.evaluate(expression));
    } catch (e) {
      return `<${e instanceof Error ? e.message : String(e)}>`;
    }
  }

  // ---- motion ----------------------------------------------------------------------------

  /** One instruction forward or back. */
  stepInstruction(direction: DebugDirection = 'forward'): DebugStop {
    const k = this.position + (direction === 'forward' ? 1 : -1);
    return this.#stopAt(this.#clamp(k), direction, undefined);
  }

  /** To the next (previous) C line, into calls (gdb step / reverse-step). */
  stepLine(direction: DebugDirection = 'forward'): DebugStop {
    return this.#lineMotion(direction, false);
  }

  /** To the next (previous) C line of this function, over calls (gdb next / reverse-next). */
  next(direction: DebugDirection = 'forward'): DebugStop {
    return this.#lineMotion(direction, true);
  }

  /** Out of the current function: to its caller after the call (forward) or to the call (backward). */
  finish(direction: DebugDirection = 'forward'): DebugStop {
    const t = this.#trace;
    const start = this.position;
    const f0 = t.frame.get(start);
    if (direction === 'backward') {
      const call = t.frames[f0]!.callPosition;
      return this.#run(direction, (k) => k === Math.max(call, 0));
    }
    return this.#run(direction, (k) => !this.#within(t.frame.get(k), f0));
  }

  /** To the next (previous) breakpoint, the fault, or the end (start) of the run. */
  continue(direction: DebugDirection = 'forward'): DebugStop {
    return this.#run(direction, () => false);
  }

  // ---- internals -------------------------------------------------------------------------

  #clamp(k: number): number {
    return Math.max(0, Math.min(k, this.length - 1));
  }

  /** Whether frame `f` is `ancestor` or was called (directly or not) from it. */
  #within(f: number, ancestor: number): boolean {
    const frames = this.#trace.frames;
    for (let g = f; g >= 0; g = frames[g]!.parent) if (g === ancestor) return true;
    return false;
  }

  #lineKey(k: number): string | undefined {
    const t = this.#trace;
    const line = this.#programs[t.program.get(k)]!.lines.at(t.pc.get(k));
    return line === undefined ? undefined : `${t.program.get(k)}:${line.file}:${line.line}`;
  }

  #lineMotion(direction: DebugDirection, over: boolean): DebugStop {
    const t = this.#trace;
    const start = this.position;
    const l0 = this.#lineKey(start);
    const f0 = t.frame.get(start);
    // A position where a new line starts for this motion: another line, or another frame (a
    // call entered, unless stepping over it, or the function returned).
    const newLine = (k: number): boolean => {
      const f = t.frame.get(k);
      const key = this.#lineKey(k);
      if (key === undefined) return false;
      if (over && f !== f0 && this.#within(f, f0)) return false;
      return key !== l0 || f !== f0;
    };
    if (direction === 'forward') return this.#run(direction, newLine);
    // Backward: find the previous line, then walk back to where it started.
    const stop = this.#run(direction, newLine);
    if (stop.reason !== 'step') return stop;
    let j = this.position;
    const l1 = this.#lineKey(j);
    const f1 = t.frame.get(j);
    for (let i = j - 1; i >= 0; i--) {
      const f = t.frame.get(i);
      if (over && f !== f1 && this.#within(f, f1)) continue;
      if (f !== f1 || this.#lineKey(i) !== l1) break;
      if (this.#hitAt(i) !== undefined) {
        j = i;
        break;
      }
      j = i;
    }
    return this.#stopAt(j, direction, undefined);
  }

  /** Moves one position at a time until `done`, a breakpoint, a fault, or either end. */
  #run(direction: DebugDirection, done: (k: number) => boolean): DebugStop {
    const step = direction === 'forward' ? 1 : -1;
    for (let k = this.position + step; k >= 0 && k < this.length; k += step) {
      this.#cursor.seek(k);
      const hit = this.#hitAt(k);
      if (hit !== undefined) return this.#stopAt(k, direction, hit);
      if (done(k)) return this.#stopAt(k, direction, undefined);
    }
    return this.#stopAt(direction === 'forward' ? this.length - 1 : 0, direction, undefined);
  }

  #stopAt(k: number, direction: DebugDirection, breakpoint: number | undefined): DebugStop {
    this.#cursor.seek(k);
    const location = this.location();
    if (breakpoint !== undefined) {
      const b = this.#breakpoints.get(breakpoint)!;
      b.hits++;
      if (b.temporary) this.#breakpoints.delete(breakpoint);
      return { reason: 'breakpoint', location, breakpoint };
    }
    const last = k === this.length - 1;
    if (last && this.end.kind === 'fault') return { reason: 'fault', location };
    if (last && direction === 'forward') return { reason: 'exit', location };
    if (k === 0 && direction === 'backward') return { reason: 'start', location };
    return { reason: 'step', location };
  }

  /** The id of a breakpoint that stops at position `k` (the cursor is at k), if any. */
  #hitAt(k: number): number | undefined {
    const t = this.#trace;
    for (const b of this.#breakpoints.values()) {
      const bp = b.breakpoint;
      let hit = false;
      switch (bp.kind) {
        case 'pc':
        case 'line': {
          const at = b.slots?.get(t.program.get(k));
          hit = at?.has(t.pc.get(k)) === true;
          // A line stops where it is entered, not at every slot of it.
          if (hit && bp.kind === 'line' && k > 0)
            hit = this.#lineKey(k - 1) !== this.#lineKey(k) || t.frame.get(k - 1) !== t.frame.get(k);
          if (hit && bp.condition !== undefined) hit = this.#truthy(bp.condition);
          break;
        }
        case 'condition': {
          if (!this.#truthy(bp.condition)) break;
          // Became true: it was not at the neighbouring earlier position.
          const before = k - 1;
          if (before < 0) hit = true;
          else {
            const here = this.position;
            this.#cursor.seek(before);
            hit = !this.#truthy(bp.condition);
            this.#cursor.seek(here);
          }
          break;
        }
        case 'change': {
          if (k === 0) break;
          const now = this.print(bp.expression);
          const here = this.position;
          this.#cursor.seek(k - 1);
          hit = this.print(bp.expression) !== now;
          this.#cursor.seek(here);
          break;
        }
        case 'helper': {
          const id = t.helper.get(k);
          hit = id !== 0 && (bp.helper === undefined || helperMatches(bp.helper, id));
          break;
        }
        case 'map': {
          // Stops after the step that changed the map: the changes of step k - 1 (forward) are
          // what position k shows.
          const s = k - 1;
          if (s < 0) break;
          for (let d = t.mapStart.get(s); d < t.mapStart.get(s + 1); d++)
            if (bp.map === undefined || t.mapChanges[d]!.map === bp.map) hit = true;
          break;
        }
        case 'fault':
          hit = k === this.length - 1 && this.end.kind === 'fault';
          break;
        default:
          bp satisfies never;
      }
      if (hit) return b.id;
    }
    return undefined;
  }

  #truthy(expression: string): boolean {
    try {
      const v = this.evaluate(expression);
      return v.kind === 'number' ? v.value !== 0n : v.kind === 'bytes';
    } catch {
      return false;
    }
  }

  #packetBounds(): { start: number; end: number } {
    const kind = ctxKind(this.#program.spec.type);
    const ctx = this.#trace.ctx;
    if (kind === undefined) return { start: 0, end: 0 };
    const fields = kind === 'xdp_md' ? XDP_MD : SK_BUFF;
    const off = (name: string) => fields.find((f) => f.name === name)!.offset;
    return {
      start: Number(this.#readNumber(ctx + off('data'), 4)),
      end: Number(this.#readNumber(ctx + off('data_end'), 4)),
    };
  }

  #readNumber(addr: number, size: number): bigint {
    const m = this.#cursor.memory;
    let v = 0n;
    for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(m[addr + b] ?? 0);
    return v;
  }

  #env(): EvalEnv {
    const coll = this.#collection;
    return {
      register: (n) => this.#cursor.registers[n]!,
      read: (addr, size) => {
        if (addr + BigInt(size) > BigInt(this.#cursor.memory.length))
          throw new TsbpfError('INVALID_ARGUMENT', `cannot read ${size} bytes at 0x${addr.toString(16)}`);
        return this.read(Number(addr), size);
      },
      packet: () => {
        const p = this.#packetBounds();
        return { start: BigInt(p.start), end: BigInt(p.end) };
      },
      ctx: () => BigInt(this.#trace.ctx),
      ctxField: (name) => this.context().find((f) => f.name === name)?.value,
      isMap: (name) => this.#cursor.maps.has(name),
      mapValue: (name, key) => {
        const size = coll.maps.get(name)?.spec.keySize ?? 4;
        const bytes = new Uint8Array(size);
        let x = BigInt.asUintN(size * 8, key);
        for (let b = 0; b < size; b++, x >>= 8n) bytes[b] = Number(x & 0xffn);
        return this.#cursor.maps.get(name)?.get(hexKey(bytes));
      },
    };
  }

  /** Releases the collection the run used. */
  close(): void {
    this.#collection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The function holding slot `pc`: the last func_info at or before it. */
function functionAt(spec: ProgramSpec, pc: number): string {
  let best: { insnOff: number; name: string } | undefined;
  for (const f of spec.funcInfo)
    if (f.insnOff <= pc && (best === undefined || f.insnOff >= best.insnOff)) best = f;
  return best?.name ?? spec.name;
}

function helperMatches(want: string | number, id: number): boolean {
  if (typeof want === 'number') return want === id;
  const name = helperName(id);
  return name === want || name === `bpf_${want}` || String(id) === want;
}

/** Parses an expression against an empty state, so that a bad one is refused when it is set. */
function evaluateCheck(expression: string): void {
  const zero: EvalEnv = {
    register: () => 0n,
    read: () => new Uint8Array(8),
    packet: () => ({ start: 0n, end: 0n }),
    ctx: () => 0n,
    ctxField: () => 0n,
    isMap: () => false,
    mapValue: () => undefined,
  };
  try {
    evaluate(expression, zero);
  } catch (e) {
    // Unknown names may be maps of the session: only syntax errors are refused here.
    if (e instanceof Error && /unknown name/.test(e.message)) return;
    throw e;
  }
}

function publicInfo(b: DebugBreakpointInfo & { slots?: unknown }): DebugBreakpointInfo {
  const { slots: _slots, ...rest } = b;
  return { ...rest };
}
