// CO-RE for the VM backend. The VM has no kernel to take a BTF from, so the target is what the
// caller supplies (LoadCollectionOptions.targetBtf: e.g. a vmlinux BTF file the caller read and
// parsed with parseBtf) or, by default, the object's own BTF — every relocation then resolves to
// the layout the program was compiled against. Poisoned instructions are left for a run to reach.

import type { Btf } from '../../btf/types.js';
import { LoadError } from '../../errors.js';
import {
  applyCoreRelocations,
  type CollectionSpec,
  type CoreRelocated,
  hasCoreRelocations,
} from '../../program/index.js';

export function relocateForVm(spec: CollectionSpec, target: Btf | undefined): CoreRelocated {
  if (!hasCoreRelocations(spec)) return { spec, report: [], poisoned: [] };
  const btf = target ?? spec.btf;
  if (btf === undefined)
    throw new LoadError('LOAD_ERROR', 'CO-RE relocations need BTF, and the spec has none');
  return applyCoreRelocations(spec, btf);
}
