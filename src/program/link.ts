// The linker: lays out a program as its entry function followed by every function it reaches
// through bpf-to-bpf calls (call, src = BPF_PSEUDO_CALL) or callback addresses (lddw, src =
// BPF_PSEUDO_FUNC), each once, and rewrites their imm to the slot distance the kernel expects
// (target = pc + imm + 1). Inputs are symbolic functions; ELF relocation handling is elf/'s job.

import { LoadError } from '../errors.js';
import { type Instruction, slots } from '../isa/instruction.js';
import { namesFunction } from '../isa/target.js';
import type { CoreRelocation, FuncInfo, LineInfo } from './types.js';

export interface FunctionUnit {
  readonly name: string;
  readonly sectionName: string;
  /** Body; calls and callback loads carry `reference` = callee name (their imm is rewritten). */
  readonly instructions: readonly Instruction[];
  /** The BTF FUNC type id of this function, if the object has BTF. */
  readonly btfFunc?: number;
  /** Line info with insnOff in slots from the function's start. */
  readonly lineInfo: readonly LineInfo[];
  /** CO-RE relocations with insnOff in slots from the function's start. */
  readonly coreRelocations?: readonly CoreRelocation[];
}

export interface LinkedProgram {
  readonly instructions: readonly Instruction[];
  readonly funcInfo: readonly FuncInfo[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelocations: readonly CoreRelocation[];
}

/** True for instructions whose `reference` names a function rather than a map. */
export function isFunctionReference(i: Instruction): boolean {
  return i.reference !== undefined && namesFunction(i);
}

function slotCount(insns: readonly Instruction[]): number {
  let n = 0;
  for (const i of insns) n += slots(i);
  return n;
}

/** Links `entry` with everything it calls; throws LoadError naming a missing callee. */
export function linkProgram(entry: string, functions: ReadonlyMap<string, FunctionUnit>): LinkedProgram {
  const order: FunctionUnit[] = [];
  const start = new Map<string, number>();
  const queue = [entry];
  let nextSlot = 0;
  // Breadth-first in order of first reference: deterministic, and each function appears once.
  for (let q = 0; q < queue.length; q++) {
    const name = queue[q]!;
    if (start.has(name)) continue;
    const fn = functions.get(name);
    if (fn === undefined) {
      throw new LoadError('LOAD_ERROR', `program ${entry}: call to unknown function '${name}'`);
    }
    start.set(name, nextSlot);
    order.push(fn);
    nextSlot += slotCount(fn.instructions);
    for (const i of fn.instructions)
      if (isFunctionReference(i) && !start.has(i.reference!)) queue.push(i.reference!);
  }

  const instructions: Instruction[] = [];
  const funcInfo: FuncInfo[] = [];
  const lineInfo: LineInfo[] = [];
  const coreRelocations: CoreRelocation[] = [];
  for (const fn of order) {
    const base = start.get(fn.name)!;
    if (fn.btfFunc !== undefined) funcInfo.push({ insnOff: base, typeId: fn.btfFunc, name: fn.name });
    for (const l of fn.lineInfo) lineInfo.push({ ...l, insnOff: base + l.insnOff });
    for (const c of fn.coreRelocations ?? []) coreRelocations.push({ ...c, insnOff: base + c.insnOff });
    let pc = base;
    fn.instructions.forEach((i, k) => {
      let out: Instruction = i;
      if (isFunctionReference(i)) out = { ...out, imm: start.get(i.reference!)! - pc - 1 };
      if (k === 0 && out.symbol !== fn.name) out = { ...out, symbol: fn.name };
      instructions.push(out);
      pc += slots(i);
    });
  }
  return { instructions, funcInfo, lineInfo, coreRelocations };
}
