// Matches a local access spec against one candidate target type (libbpf bpf_core_spec_match):
// type relocations by typesAreCompat or typesMatch; enumerator relocations by the enumerator's
// name (flavor ignored); field relocations accessor by accessor — a named member is searched for
// by exact name, descending into anonymous structs and unions, and must have a compatible type;
// an array index must be in bounds (or the array flexible). Undefined means "no match".

import { LoadError } from '../../errors.js';
import { resolveId, sizeOf, typeById } from '../query.js';
import type { Btf } from '../types.js';
import { CORE_SPEC_MAX_LEN, isComposite, isFlexArray } from './access.js';
import { fieldsAreCompat, typesAreCompat } from './compat.js';
import { coreFamily } from './kinds.js';
import { typesMatch } from './matches.js';
import { essentialName } from './names.js';
import type { CoreAccessor, CoreSpec } from './types.js';

const tooDeep = (): LoadError =>
  new LoadError('LOAD_ERROR', `CO-RE: target access is deeper than ${CORE_SPEC_MAX_LEN} steps`);

interface Building {
  readonly accessors: CoreAccessor[];
  readonly raw: number[];
  bitOffset: number;
}

export function matchSpec(local: CoreSpec, target: Btf, targetId: number): CoreSpec | undefined {
  const base = { btf: target, kind: local.kind, rootId: targetId };
  const family = coreFamily(local.kind);
  if (family === 'type') {
    const ok =
      local.kind === 'TYPE_MATCHES'
        ? typesMatch(local.btf, local.rootId, target, targetId)
        : typesAreCompat(local.btf, local.rootId, target, targetId);
    return ok ? { ...base, accessors: [], raw: [], bitOffset: 0 } : undefined;
  }

  if (family === 'enumval') {
    const id = resolveId(target, targetId);
    const t = typeById(target, id);
    if (t.kind !== 'enum' && t.kind !== 'enum64') return undefined;
    const want = essentialName(local.accessors[0]!.name ?? '');
    const idx = t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    return { ...base, accessors: [{ typeId: id, idx, name: t.values[idx]!.name }], raw: [idx], bitOffset: 0 };
  }

  const b: Building = { accessors: [], raw: [], bitOffset: 0 };
  let id = targetId;
  for (let i = 0; i < local.accessors.length; i++) {
    const la = local.accessors[i]!;
    id = resolveId(target, id);
    const t = typeById(target, id);
    if (la.name !== undefined) {
      const next = matchMember(local.btf, la, target, id, b);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    if (i > 0) {
      // An index step: the target must be an array here too, long enough (or flexible).
      if (t.kind !== 'array') return undefined;
      if (!isFlexArray(target, b.accessors[b.accessors.length - 1], t.nelems) && la.idx >= t.nelems)
        return undefined;
      id = resolveId(target, t.type);
    }
    if (b.raw.length === CORE_SPEC_MAX_LEN) throw tooDeep();
    b.accessors.push({ typeId: id, idx: la.idx });
    b.raw.push(la.idx);
    b.bitOffset += la.idx * sizeOf(target, id) * 8;
  }
  return { ...base, accessors: b.accessors, raw: b.raw, bitOffset: b.bitOffset };
}

/**
 * Finds the member `la` names inside target composite `id` (recursing into anonymous members),
 * extending `b`; returns the member's type id, or undefined (with `b` as it was) if none fits.
 */
function matchMember(local: Btf, la: CoreAccessor, target: Btf, id: number, b: Building): number | undefined {
  const tid = resolveId(target, id);
  const t = typeById(target, tid);
  if (!isComposite(t)) return undefined;
  const owner = typeById(local, la.typeId);
  if (!isComposite(owner)) return undefined;
  const lm = owner.members[la.idx]!;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (b.raw.length === CORE_SPEC_MAX_LEN) throw tooDeep();
    b.bitOffset += m.bitOffset;
    b.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, la, target, m.type, b);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (!fieldsAreCompat(local, lm.type, target, m.type)) {
        b.bitOffset -= m.bitOffset;
        b.raw.pop();
        return undefined;
      }
      b.accessors.push({ typeId: tid, idx: i, name: m.name });
      return m.type;
    }
    b.bitOffset -= m.bitOffset;
    b.raw.pop();
  }
  return undefined;
}
