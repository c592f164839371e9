// The BTF ids of the kernel's functions by name, from /sys/kernel/btf/vmlinux (read and indexed
// once, on the first program that calls a kfunc): what BPF_PSEUDO_KFUNC_CALL's imm holds.

import { kernelBtf } from './co-re.js';

let byName: Map<string, number> | undefined;

/** The vmlinux BTF id of the FUNC `name`, or undefined when the kernel has none. */
export function kernelFuncId(name: string): number | undefined {
  if (byName === undefined) {
    byName = new Map();
    kernelBtf().types.forEach((t, id) => {
      if (t.kind === 'func' && !byName!.has(t.name)) byName!.set(t.name, id);
    });
  }
  return byName.get(name);
}
