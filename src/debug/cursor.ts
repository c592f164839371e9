// The state of a recorded run at one position: registers, the address space's bytes and every
// tracked map's entries, moved forward by applying a step's delta and back by undoing it in
// reverse order. Seeking k positions costs the deltas of those k steps, never a re-run.

import type { Trace } from './trace.js';

export class Cursor {
  readonly #t: Trace;
  #position = 0;
  readonly registers: bigint[];
  /** The address space's bytes at the current position. */
  readonly memory: Uint8Array;
  readonly maps: Map<string, Map<string, Uint8Array>>;

  constructor(trace: Trace) {
    this.#t = trace;
    this.registers = trace.initialRegisters.slice();
    let size = Math.max(trace.initialMemory.length, trace.memorySize);
    for (const w of trace.writes) size = Math.max(size, w.addr + w.after.length);
    this.memory = new Uint8Array(size);
    this.memory.set(trace.initialMemory);
    this.maps = new Map([...trace.initialMaps].map(([name, m]) => [name, new Map(m)]));
  }

  get position(): number {
    return this.#position;
  }

  /** Moves to position `k` (clamped to the recorded ones). */
  seek(k: number): void {
    const target = Math.max(0, Math.min(k, this.#t.length - 1));
    while (this.#position < target) this.#forward(this.#position++);
    while (this.#position > target) this.#backward(--this.#position);
  }

  #forward(k: number): void {
    const t = this.#t;
    for (let d = t.regStart.get(k); d < t.regStart.get(k + 1); d++)
      this.registers[t.regIndex.get(d)] = t.regAfter.a[d]!;
    for (let d = t.memStart.get(k); d < t.memStart.get(k + 1); d++) {
      const w = t.writes[d]!;
      this.memory.set(w.after, w.addr);
    }
    for (let d = t.mapStart.get(k); d < t.mapStart.get(k + 1); d++) {
      const c = t.mapChanges[d]!;
      const m = this.maps.get(c.map)!;
      if (c.after === undefined) m.delete(c.key);
      else m.set(c.key, c.after);
    }
  }

  #backward(k: number): void {
    const t = this.#t;
    for (let d = t.regStart.get(k + 1) - 1; d >= t.regStart.get(k); d--)
      this.registers[t.regIndex.get(d)] = t.regBefore.a[d]!;
    for (let d = t.memStart.get(k + 1) - 1; d >= t.memStart.get(k); d--) {
      const w = t.writes[d]!;
      this.memory.set(w.before, w.addr);
    }
    for (let d = t.mapStart.get(k + 1) - 1; d >= t.mapStart.get(k); d--) {
      const c = t.mapChanges[d]!;
      const m = this.maps.get(c.map)!;
      if (c.before === undefined) m.delete(c.key);
      else m.set(c.key, c.before);
    }
  }
}
