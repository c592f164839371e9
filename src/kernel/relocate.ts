// Turns a ProgramSpec's symbolic map loads into what BPF_PROG_LOAD takes: each lddw that names a
// map (`reference`, src BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE) gets the map's fd as its
// immediate; a MAP_VALUE keeps the value offset in the second slot (`hi`). Other instructions,
// including BPF_PSEUDO_FUNC loads of callbacks, pass through untouched. Pure: no syscalls.

import { LoadError } from '../errors.js';
import { type Instruction, op as O } from '../isa/index.js';
import type { ProgramSpec } from '../program/index.js';

/** Returns the instructions with every map reference bound to `fdOf(name)`. */
export function bindMapReferences(
  program: ProgramSpec,
  fdOf: (map: string) => number | undefined,
): Instruction[] {
  return program.instructions.map((ins, k) => {
    if (ins.op !== O.OP_LDDW || ins.reference === undefined) return ins;
    if (ins.src !== O.BPF_PSEUDO_MAP_FD && ins.src !== O.BPF_PSEUDO_MAP_VALUE) return ins;
    const fd = fdOf(ins.reference);
    if (fd === undefined) {
      throw new LoadError(
        'LOAD_ERROR',
        `program ${program.name}: instruction ${k} refers to map '${ins.reference}', which the collection does not have`,
      );
    }
    // BPF_PSEUDO_MAP_FD: imm = fd, next imm = 0; BPF_PSEUDO_MAP_VALUE: imm = fd, next imm = offset.
    const hi = ins.src === O.BPF_PSEUDO_MAP_VALUE ? (ins.hi ?? 0) : 0;
    return { ...ins, imm: fd, hi };
  });
}
