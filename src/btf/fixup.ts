// Fills in what clang leaves zero in object-file BTF: each DATASEC's size and the offsets of its
// variables, which only the ELF section headers and symbol table know (libbpf does the same in
// btf_fixup_datasec). Patches a copy of the raw bytes so the kernel gets the fixed BTF too.

import { parseBtf } from './parse.js';
import type { Btf, BtfType } from './types.js';

/** Extra bytes that follow the 12-byte btf_type record for each kind (btf.rst §2.2). */
function trailer(t: BtfType): number {
  switch (t.kind) {
    case 'int':
    case 'var':
    case 'decl_tag':
      return 4;
    case 'array':
      return 12;
    case 'struct':
    case 'union':
      return 12 * t.members.length;
    case 'enum':
      return 8 * t.values.length;
    case 'enum64':
      return 12 * t.values.length;
    case 'func_proto':
      return 8 * t.params.length;
    case 'datasec':
      return 12 * t.vars.length;
    default:
      return 0;
  }
}

export interface DatasecFacts {
  /** Size of the ELF section named like the DATASEC, if there is one. */
  sectionSize(section: string): number | undefined;
  /** Offset (symbol value) of variable `name` in `section`, if the symbol table has it. */
  variableOffset(section: string, name: string): number | undefined;
}

/** Returns BTF whose DATASEC sizes and var offsets match the object; unchanged input if nothing to fix. */
export function fixupDatasecs(btf: Btf, facts: DatasecFacts): Btf {
  const raw = new Uint8Array(btf.raw); // a copy (Buffer.slice would alias)
  const view = new DataView(raw.buffer);
  const le = btf.littleEndian;
  const hdrLen = view.getUint32(4, le);
  let at = hdrLen + view.getUint32(8, le);
  let changed = false;
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id]!;
    if (t.kind === 'datasec') {
      const size = facts.sectionSize(t.name);
      if (size !== undefined && size !== t.size) {
        view.setUint32(at + 8, size, le);
        changed = true;
      }
      t.vars.forEach((v, i) => {
        const target = btf.types[v.type];
        if (target?.kind !== 'var') return;
        const off = facts.variableOffset(t.name, target.name);
        if (off !== undefined && off !== v.offset) {
          view.setUint32(at + 12 + i * 12 + 4, off, le);
          changed = true;
        }
      });
    }
    at += 12 + trailer(t);
  }
  return changed ? parseBtf(raw) : btf;
}
