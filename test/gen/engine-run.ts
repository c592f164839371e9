// Runs a generated program on one of tsbpf's engines (anything implementing Engine): the same
// instructions the kernel gets, with the epilogue's map-value lddw resolved by the engine's
// resolveLddw option to a 'map' region in the engine's address space (holding the same inputs the
// kernel's map value does). Reads back the 18 result words.

import type { Instruction } from '../../src/isa/index.js';
import { op as O } from '../../src/isa/index.js';
import {
  AddressSpace,
  type Engine,
  type EngineOptions,
  type Region,
  type StepHook,
} from '../../src/runtime/index.js';
import {
  assemble,
  type GeneratedProgram,
  initialValue,
  RESULT_BYTES,
  resultWords,
  VALUE_BYTES,
} from './program.js';

/** The fd number the epilogue's lddw carries for engines; any value works, the resolver owns it. */
const FAKE_MAP_FD = 0x7eb;

export type EngineFactory = (program: readonly Instruction[], options: EngineOptions) => Engine;

export class EngineRunner {
  readonly space = new AddressSpace();
  readonly value: Region = this.space.allocate('oracle', VALUE_BYTES, { kind: 'map' });
  constructor(private readonly make: EngineFactory) {}

  run(p: GeneratedProgram, onStep?: StepHook): bigint[] {
    const start = this.value.start;
    this.space.u8.set(initialValue(p), start);
    const engine = this.make(assemble(p, FAKE_MAP_FD), {
      memory: this.space,
      resolveLddw: (pseudo, imm, hi, pc) => {
        if (pseudo === O.BPF_PSEUDO_MAP_VALUE && imm === FAKE_MAP_FD) return BigInt(start + hi);
        throw new Error(`pc ${pc}: unexpected lddw pseudo source ${pseudo} imm ${imm}`);
      },
      ...(onStep === undefined ? {} : { onStep }),
    });
    let r: ReturnType<Engine['run']>;
    try {
      r = engine.run();
    } finally {
      // Each run makes an engine: closing it unmaps what it mapped in this runner's space.
      engine.close?.();
    }
    if (r.r0 !== 0n) throw new Error(`epilogue not reached: r0 = ${r.r0}`);
    return resultWords(this.space.u8.slice(start, start + RESULT_BYTES));
  }

  /** The slots a run of `p` executes (the numbering of the program the kernel gets too). */
  executed(p: GeneratedProgram): Set<number> {
    const slots = new Set<number>();
    this.run(p, (pc) => {
      slots.add(pc);
    });
    return slots;
  }
}
