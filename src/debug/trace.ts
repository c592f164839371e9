// The record of one debugged run: a position per instruction executed (the state *before* it
// ran) and, per position, the deltas that lead to the next one — registers changed, memory bytes
// written (old and new), map entries changed. Stepping forward applies a delta, stepping back
// undoes it, so any earlier state is restored exactly. Storage only: recorder.ts fills it,
// cursor.ts walks it.

/** A run of bytes written by one step: what was there before and after. */
export interface MemoryWrite {
  readonly addr: number;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/** One map entry a step added, changed or removed (undefined: absent on that side). */
export interface MapEntryChange {
  readonly map: string;
  /** The key in hex (the model's index). */
  readonly key: string;
  readonly before: Uint8Array | undefined;
  readonly after: Uint8Array | undefined;
}

/** How a frame was entered: the program's start, a bpf-to-bpf call, a helper's callback, a tail call. */
export type FrameKind = 'main' | 'call' | 'callback' | 'tail';

export interface Frame {
  /** The frame this one returns to (-1: none, the outermost one or a tail call). */
  readonly parent: number;
  /** The position of the call (local call, helper with a callback, bpf_tail_call) that entered it; -1 for main. */
  readonly callPosition: number;
  readonly kind: FrameKind;
  /** Index of the program (the collection's order) the frame runs. */
  readonly program: number;
  /** The slot the frame started at (the function's entry). */
  readonly entry: number;
}

/** How the recorded run ended. */
export type RunEnd =
  | { readonly kind: 'exit'; readonly retval: number; readonly data: Uint8Array }
  | { readonly kind: 'fault'; readonly error: Error };

/** A growable Int32Array. */
class Int32List {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  get(k: number): number {
    return this.a[k]!;
  }
  get bytes(): number {
    return this.n * 4;
  }
}

/** A growable BigUint64Array. */
class U64List {
  a = new BigUint64Array(1024);
  n = 0;
  push(v: bigint): void {
    if (this.n === this.a.length) {
      const b = new BigUint64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

export class Trace {
  /** Per position: program index, slot, frame index. */
  readonly program = new Int32List();
  readonly pc = new Int32List();
  readonly frame = new Int32List();
  /** Per position k: where the deltas of step k -> k+1 start in each list (length + 1 entries). */
  readonly regStart = new Int32List();
  readonly memStart = new Int32List();
  readonly mapStart = new Int32List();
  /** Register deltas: the register number (0-10), its value before and after. */
  readonly regIndex = new Int32List();
  readonly regBefore = new U64List();
  readonly regAfter = new U64List();
  readonly writes: MemoryWrite[] = [];
  readonly mapChanges: MapEntryChange[] = [];
  readonly frames: Frame[] = [];
  /** The helper called at a position (helper id, kfuncs past 0x10000), or 0. */
  readonly helper = new Int32List();
  /** The registers at position 0 (r0..r10). */
  initialRegisters: bigint[] = [];
  /** The address space's bytes at position 0. */
  initialMemory: Uint8Array = new Uint8Array(0);
  /** Every trackable map's entries at position 0, by map name then hex key. */
  initialMaps = new Map<string, Map<string, Uint8Array>>();
  /** The largest the address space grew during the run. */
  memorySize = 0;
  /** The address of the context (r1 of the first instruction). */
  ctx = 0;
  end: RunEnd | undefined;

  /** Positions recorded (instructions executed, the faulting one included). */
  get length(): number {
    return this.pc.n;
  }

  /** Adds a position; its deltas are appended until the next one. */
  addPosition(program: number, pc: number, frame: number, helper: number): void {
    this.program.push(program);
    this.pc.push(pc);
    this.frame.push(frame);
    this.helper.push(helper);
    this.regStart.push(this.regIndex.n);
    this.memStart.push(this.writes.length);
    this.mapStart.push(this.mapChanges.length);
  }

  addRegister(reg: number, before: bigint, after: bigint): void {
    this.regIndex.push(reg);
    this.regBefore.push(before);
    this.regAfter.push(after);
  }

  /** Closes the delta lists (called once the run is over). */
  seal(): void {
    this.regStart.push(this.regIndex.n);
    this.memStart.push(this.writes.length);
    this.mapStart.push(this.mapChanges.length);
  }

  /** Bytes the trace holds beyond the initial memory image (typed arrays and byte copies; object headers estimated at 64 bytes). */
  get deltaBytes(): number {
    let bytes =
      this.program.bytes * 4 + this.regStart.bytes * 3 + this.helper.bytes + this.regIndex.bytes * 5;
    for (const w of this.writes) bytes += 64 + w.before.length + w.after.length;
    for (const c of this.mapChanges) bytes += 96 + (c.before?.length ?? 0) + (c.after?.length ?? 0);
    return bytes + this.frames.length * 48;
  }
}
