// Records a Trace while the interpreter runs: the step hook of every program's engine lands
// here before each instruction. At each hook it closes the previous step's delta — registers
// compared with the last hook's, the bytes a store or atomic wrote (address taken before it
// ran), and after a helper call, a callback's return or a tail call a comparison of the whole
// address space with a shadow copy (helpers write anywhere: packet, map values, stack) — then
// re-reads the entries of the maps the step touched, and tracks frames across bpf-to-bpf calls,
// callbacks and tail calls. It never writes to the machine, so a recorded run is the run.

import { assertNever } from '../errors.js';
import { classify, type Instruction, slotTable } from '../isa/index.js';
import {
  type BpfMap,
  type MapRegistry,
  NULL_GUARD,
  type RegisterView,
  type StepInfo,
  type VmCollection,
} from '../runtime/index.js';
import { type Frame, type FrameKind, Trace } from './trace.js';

/** What a slot does that the recorder must know. */
type Step = 'plain' | 'store' | 'local-call' | 'helper-call' | 'callx' | 'exit';

/** Per program: the step class of each slot, and the store's register, offset and width. */
interface ProgramShape {
  readonly step: readonly Step[];
  readonly insn: readonly (Instruction | undefined)[];
  readonly storeBytes: Uint8Array;
}

function stepOf(i: Instruction): { step: Step; bytes: number } {
  const k = classify(i, { strict: false });
  switch (k.kind) {
    case 'store':
    case 'atomic':
      return { step: 'store', bytes: k.bytes };
    case 'call':
      return { step: k.target === 'local' ? 'local-call' : 'helper-call', bytes: 0 };
    case 'callx':
      return { step: 'callx', bytes: 0 };
    case 'exit':
      return { step: 'exit', bytes: 0 };
    case 'alu':
    case 'endian':
    case 'jmp':
    case 'ja':
    case 'lddw':
    case 'ldpkt':
    case 'load':
      return { step: 'plain', bytes: 0 };
    default:
      return assertNever(k, 'instruction kind');
  }
}

function shape(program: readonly Instruction[]): ProgramShape {
  const { slotOf } = slotTable(program);
  const slots = slotOf[program.length]!;
  const step: Step[] = new Array(slots).fill('plain');
  const storeBytes = new Uint8Array(slots);
  const insn: (Instruction | undefined)[] = new Array(slots).fill(undefined);
  program.forEach((i, n) => {
    const s = slotOf[n]!;
    const c = stepOf(i);
    step[s] = c.step;
    storeBytes[s] = c.bytes;
    insn[s] = i;
  });
  return { step, insn, storeBytes };
}

/** Hex of bytes, the map model's key. */
export const hexKey = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Every entry of a map through the user-side API (which touches no LRU state), or undefined if it has no iteration. */
export function dumpEntries(map: BpfMap, limit: number): Map<string, Uint8Array> | undefined {
  const out = new Map<string, Uint8Array>();
  try {
    let key = map.nextKey();
    while (key !== undefined) {
      if (out.size >= limit) return undefined;
      const value = map.lookup(key);
      if (value !== undefined) out.set(hexKey(key), value.slice());
      key = map.nextKey(key);
    }
  } catch {
    return undefined; // ring buffers, queues, perf arrays: no user-space iteration
  }
  return out;
}

/** Maps with more entries than this are not modelled entry by entry (their values stay exact in memory). */
export const MAP_TRACK_LIMIT = 65536;

export class Recorder {
  readonly trace = new Trace();
  readonly #shapes: ProgramShape[] = [];
  #coll: VmCollection | undefined;
  #registry: MapRegistry | undefined;
  /** Map name by runtime map, and the current entries of each tracked map. */
  readonly #names = new Map<BpfMap, string>();
  readonly #model = new Map<string, Map<string, Uint8Array>>();
  #shadow = new Uint8Array(0);
  readonly #regs: bigint[] = new Array(11).fill(0n);
  // The previous position: its program, slot, depth, frame, class, and a pending store.
  #prevProgram = -1;
  #prevPc = 0;
  #prevDepth = 0;
  #prevStep: Step = 'plain';
  #storeAddr = -1;
  #storeSize = 0;
  #storeBefore: Uint8Array | undefined;
  /** Map handle in r1 at the previous helper call (its entries are re-read after it). */
  #helperMap: BpfMap | undefined;

  /** The engine factory's side: learns each program's instructions, in load order, and gives its hook. */
  hookFor(program: readonly Instruction[]): (pc: number, regs: RegisterView, info: StepInfo) => void {
    const index = this.#shapes.length;
    this.#shapes.push(shape(program));
    return (pc, regs, info) => this.#step(index, pc, regs, info);
  }

  /** Starts recording on a loaded collection (before the run). */
  attach(coll: VmCollection): void {
    this.#coll = coll;
    this.#registry = coll.registry;
    for (const [name, m] of coll.maps) {
      this.#names.set(m.map, name);
      const entries = dumpEntries(m.map, MAP_TRACK_LIMIT);
      if (entries !== undefined) {
        this.#model.set(name, entries);
        this.trace.initialMaps.set(name, new Map(entries));
      }
    }
  }

  /** Ends the recording: the last step's delta and the lists are closed. */
  finish(end: Trace['end']): Trace {
    this.trace.end = end;
    this.trace.seal();
    return this.trace;
  }

  #step(program: number, pc: number, regs: RegisterView, info: StepInfo): void {
    const t = this.trace;
    const space = info.memory;
    const depth = info.depth;
    if (space.u8.length > t.memorySize) t.memorySize = space.u8.length;
    if (t.length === 0) {
      for (let r = 0; r <= 10; r++) this.#regs[r] = regs.get(r);
      t.initialRegisters = this.#regs.slice();
      t.initialMemory = space.u8.slice();
      this.#shadow = space.u8.slice();
      t.ctx = Number(this.#regs[1]! & 0xffffffffn);
      t.frames.push({ parent: -1, callPosition: -1, kind: 'main', program, entry: pc });
    } else this.#closeStep(regs, space.u8);
    const frame = t.length === 0 ? 0 : this.#frameAt(program, pc, depth);
    const s = this.#shapes[program]!;
    const step = s.step[pc] ?? 'plain';
    const insn = s.insn[pc];
    let helper = 0;
    this.#helperMap = undefined;
    this.#storeAddr = -1;
    if (step === 'store' && insn !== undefined) {
      const size = s.storeBytes[pc]!;
      const addr = BigInt.asUintN(64, this.#regs[insn.dst]! + BigInt(insn.off));
      const u8 = space.u8;
      if (addr + BigInt(size) <= BigInt(u8.length)) {
        this.#storeAddr = Number(addr);
        this.#storeSize = size;
        this.#storeBefore = u8.slice(this.#storeAddr, this.#storeAddr + size);
      }
    } else if (step === 'helper-call' && insn !== undefined) {
      helper = insn.imm;
      this.#helperMap = this.#registry?.byHandle(this.#regs[1]!);
    } else if (step === 'callx') {
      this.#helperMap = this.#registry?.byHandle(this.#regs[1]!);
    }
    t.addPosition(program, pc, frame, helper);
    this.#prevProgram = program;
    this.#prevPc = pc;
    this.#prevDepth = depth;
    this.#prevStep = step;
  }

  /** The delta of the step just executed: registers, memory, maps. */
  #closeStep(regs: RegisterView, u8: Uint8Array): void {
    const t = this.trace;
    for (let r = 0; r <= 10; r++) {
      const v = regs.get(r);
      const old = this.#regs[r]!;
      if (v !== old) {
        t.addRegister(r, old, v);
        this.#regs[r] = v;
      }
    }
    const dirty = new Set<BpfMap>();
    if (this.#storeAddr >= 0) {
      const a = this.#storeAddr;
      const after = u8.slice(a, a + this.#storeSize);
      if (!equal(after, this.#storeBefore!)) {
        t.writes.push({ addr: a, before: this.#storeBefore!, after });
        this.#shadow.set(after, a);
        const owner = this.#registry?.owner(a);
        if (owner !== undefined) dirty.add(owner);
      }
    } else if (this.#prevStep === 'helper-call' || this.#prevStep === 'callx' || this.#prevStep === 'exit') {
      // Helpers (and a callback's return into one, a tail call's switch) may write anywhere.
      this.#diffAll(u8, dirty);
      if (this.#helperMap !== undefined) dirty.add(this.#helperMap);
    }
    for (const m of dirty) this.#redump(m);
  }

  /**
   * Compares the space above the null guard with the shadow and records every changed run of
   * bytes. The guard page holds the engines' region table, bookkeeping no program can read.
   */
  #diffAll(u8: Uint8Array, dirty: Set<BpfMap>): void {
    if (u8.length > this.#shadow.length) {
      const grown = new Uint8Array(u8.length); // fresh pages of a grown memory are zero
      grown.set(this.#shadow);
      this.#shadow = grown;
    }
    const shadow = this.#shadow;
    const a = new Int32Array(u8.buffer, u8.byteOffset, u8.length >> 2);
    const b = new Int32Array(shadow.buffer, 0, a.length);
    const n = a.length;
    this.trace.memorySize = Math.max(this.trace.memorySize, u8.length);
    for (let w = NULL_GUARD >> 2; w < n; w++) {
      if (a[w] === b[w]) continue;
      // Changed words closer than 16 bytes make one write.
      let last = w;
      for (let e = w + 1; e < n && e - last <= 4; e++) if (a[e] !== b[e]) last = e;
      const start = w * 4;
      const end = (last + 1) * 4;
      const after = u8.slice(start, end);
      this.trace.writes.push({ addr: start, before: shadow.slice(start, end), after });
      shadow.set(after, start);
      const owner = this.#registry?.owner(start);
      if (owner !== undefined) dirty.add(owner);
      w = last;
    }
  }

  /** Re-reads a tracked map's entries and records what changed. */
  #redump(map: BpfMap): void {
    const name = this.#names.get(map);
    const old = name === undefined ? undefined : this.#model.get(name);
    if (name === undefined || old === undefined) return;
    const now = dumpEntries(map, MAP_TRACK_LIMIT);
    if (now === undefined) return;
    for (const [key, after] of now) {
      const before = old.get(key);
      if (before === undefined || !equal(before, after))
        this.trace.mapChanges.push({ map: name, key, before, after });
    }
    for (const [key, before] of old)
      if (!now.has(key)) this.trace.mapChanges.push({ map: name, key, before, after: undefined });
    this.#model.set(name, now);
  }

  /** The frame of the position being added, from the previous step's class and the depths. */
  #frameAt(program: number, pc: number, depth: number): number {
    const t = this.trace;
    const p = t.length - 1;
    const pf = t.frame.get(p);
    const push = (parent: number, callPosition: number, kind: FrameKind): number => {
      const f: Frame = { parent, callPosition, kind, program, entry: pc };
      t.frames.push(f);
      return t.frames.length - 1;
    };
    const continues = program === this.#prevProgram && pc === this.#prevPc + 1 && depth === this.#prevDepth;
    switch (this.#prevStep) {
      case 'local-call':
        return push(pf, p, 'call');
      case 'callx':
        if (depth === this.#prevDepth + 1 && program === this.#prevProgram) return push(pf, p, 'call');
        if (continues) return pf;
        return pc === 0 ? push(-1, p, 'tail') : push(pf, p, 'callback');
      case 'helper-call':
        if (continues) return pf;
        // bpf_tail_call ended the run and another program starts at slot 0; else a callback.
        return pc === 0 && program !== -1 && t.helper.get(p) === 12
          ? push(-1, p, 'tail')
          : push(pf, p, 'callback');
      case 'exit': {
        if (this.#prevDepth > 0) return t.frames[pf]!.parent;
        const f = t.frames[pf]!;
        if (f.kind !== 'callback') return push(-1, p, 'main'); // a new run after the last exit
        // A callback returned into its helper: the helper calls it again or returns to its caller.
        const call = f.callPosition;
        const back =
          program === t.program.get(call) && pc === t.pc.get(call) + 1 && depth === this.#callDepth(call);
        return back ? f.parent : push(f.parent, call, 'callback');
      }
      case 'plain':
      case 'store':
        return pf;
      default:
        return assertNever(this.#prevStep, 'step');
    }
  }

  /** The call depth at position k (frames of kind 'call' up to its run's base). */
  #callDepth(k: number): number {
    let d = 0;
    for (
      let f = this.trace.frames[this.trace.frame.get(k)]!;
      f.kind === 'call';
      f = this.trace.frames[f.parent]!
    )
      d++;
    return d;
  }

  /** The collection recorded (attach()). */
  get collection(): VmCollection | undefined {
    return this.#coll;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
