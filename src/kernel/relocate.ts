// Turns a ProgramSpec's symbolic map loads into what BPF_PROG_LOAD takes: each lddw that names a
// map (`reference`, src BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE) gets the map's fd as its
// immediate; a MAP_VALUE keeps the value offset in the second slot (`hi`). Other instructions,
// including BPF_PSEUDO_FUNC loads of callbacks, pass through untouched. Pure: no syscalls.

import { LoadError, NotSupportedError } from '../errors.js';
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

/**
 * Binds named kfunc calls (BPF_PSEUDO_KFUNC_CALL with `reference`, as the ELF loader leaves them)
 * to `btfIdOf(name)`, the id of the FUNC in the kernel's vmlinux BTF (libbpf's
 * bpf_object__resolve_ksym_func_btf_id; off 0 = vmlinux, as no fd_array of module BTFs is
 * passed). A name the kernel does not have is refused by name.
 */
export function bindKfuncCalls(
  program: ProgramSpec,
  insns: readonly Instruction[],
  btfIdOf: (name: string) => number | undefined,
): Instruction[] {
  return insns.map((ins, k) => {
    if (ins.op !== O.OP_CALL || ins.src !== O.BPF_PSEUDO_KFUNC_CALL || ins.reference === undefined)
      return ins;
    const id = btfIdOf(ins.reference);
    if (id === undefined)
      throw new NotSupportedError(
        `kfunc ${ins.reference}`,
        `program ${program.name}, instruction ${k}: not a function of this kernel's vmlinux BTF`,
      );
    return { ...ins, imm: id, off: 0 };
  });
}
