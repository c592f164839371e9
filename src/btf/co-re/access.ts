// Parses a relocation's access string (`0:1:2`) against the local BTF into a CoreSpec, as libbpf's
// bpf_core_parse_spec does (relo_core.c): the first number indexes the root pointer, the rest pick
// members (anonymous ones are kept only in `raw`) and array elements; type relocations must say
// `0`, enumerator relocations name one enumerator. Bad strings throw LoadError('LOAD_ERROR').

import { LoadError } from '../../errors.js';
import type { CoreReloKindName } from '../ext.js';
import { resolveId, sizeOf, typeById } from '../query.js';
import type { Btf, BtfType } from '../types.js';
import { coreFamily } from './kinds.js';
import type { CoreAccessor, CoreSpec } from './types.js';

/** BPF_CORE_SPEC_MAX_LEN (relo_core.h): the deepest access libbpf follows. */
export const CORE_SPEC_MAX_LEN = 64;

export interface CoreRelocationRef {
  /** The local root type id. */
  readonly typeId: number;
  readonly access: string;
  readonly kind: CoreReloKindName;
}

const bad = (why: string): LoadError => new LoadError('LOAD_ERROR', why);

export function isComposite(t: BtfType): t is Extract<BtfType, { kind: 'struct' | 'union' }> {
  return t.kind === 'struct' || t.kind === 'union';
}

/** A zero-length array that is the last member of the struct its accessor names (libbpf is_flex_arr). */
export function isFlexArray(btf: Btf, owner: CoreAccessor | undefined, nelems: number): boolean {
  if (owner?.name === undefined || nelems > 0) return false;
  const t = typeById(btf, owner.typeId);
  return isComposite(t) && owner.idx === t.members.length - 1;
}

export function parseCoreSpec(btf: Btf, relo: CoreRelocationRef): CoreSpec {
  const { access, kind, typeId } = relo;
  typeById(btf, typeId);
  const base = { btf, kind, rootId: typeId };
  if (coreFamily(kind) === 'type') {
    if (access !== '0') throw bad(`a ${kind} relocation needs access string "0", not "${access}"`);
    return { ...base, accessors: [], raw: [], bitOffset: 0 };
  }
  if (!/^\d+(:\d+)*$/.test(access)) throw bad(`access string "${access}" is malformed`);
  const raw = access.split(':').map(Number);
  // libbpf reads each step as a C int.
  if (raw.some((n) => n > 0x7fffffff)) throw bad(`access string "${access}" has a step out of range`);
  if (raw.length > CORE_SPEC_MAX_LEN)
    throw bad(`access string "${access}" is deeper than ${CORE_SPEC_MAX_LEN} steps`);
  let id = resolveId(btf, typeId);
  const root = typeById(btf, id);
  const accessors: CoreAccessor[] = [{ typeId: id, idx: raw[0]! }];

  if (coreFamily(kind) === 'enumval') {
    if (root.kind !== 'enum' && root.kind !== 'enum64') throw bad(`[${typeId}] is not an enum`);
    if (raw.length > 1 || raw[0]! >= root.values.length)
      throw bad(`access string "${access}" names no enumerator of [${typeId}]`);
    accessors[0] = { typeId: id, idx: raw[0]!, name: root.values[raw[0]!]!.name };
    return { ...base, accessors, raw, bitOffset: 0 };
  }

  let bitOffset = raw[0]! * sizeOf(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    id = resolveId(btf, id);
    const t = typeById(btf, id);
    const idx = raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (m === undefined) throw bad(`access string "${access}": [${id}] has no member #${idx}`);
      bitOffset += m.bitOffset;
      if (m.name !== '') accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      id = resolveId(btf, t.type);
      if (!isFlexArray(btf, accessors[accessors.length - 1], t.nelems) && idx >= t.nelems)
        throw bad(`access string "${access}": index ${idx} is past the ${t.nelems} elements of [${id}]`);
      accessors.push({ typeId: id, idx });
      bitOffset += idx * sizeOf(btf, id) * 8;
    } else {
      throw bad(`access string "${access}" steps into [${id}], a ${t.kind}`);
    }
  }
  return { ...base, accessors, raw, bitOffset };
}
