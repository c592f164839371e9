// TYPE_MATCHES (bpf_core_type_matches): the stricter relation of libbpf's __bpf_core_types_match
// (relo_core.c). Names must agree at every level (flavors ignored); integers by size and sign;
// enums when every local enumerator has a namesake in a target of the same size; structs and
// unions when every local member has a matching namesake; behind a pointer a struct or union also
// matches a forward declaration of the same kind, and members are not compared.

import { LoadError } from '../../errors.js';
import { resolveId, typeById } from '../query.js';
import type { Btf, BtfType } from '../types.js';
import { isAnyEnum } from './compat.js';
import { namesMatch } from './names.js';

const MAX_DEPTH = 32;
const tooDeep = (): LoadError => new LoadError('LOAD_ERROR', 'CO-RE: types nest too deeply to match');

function enumsMatch(l: BtfType, r: BtfType): boolean {
  if (!(l.kind === 'enum' || l.kind === 'enum64') || !(r.kind === 'enum' || r.kind === 'enum64'))
    return false;
  if (l.size !== r.size || l.values.length > r.values.length) return false;
  return l.values.every((lv) => r.values.some((rv) => namesMatch(lv.name, rv.name)));
}

export function typesMatch(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  behindPtr = false,
  level = MAX_DEPTH,
): boolean {
  if (level <= 0) throw tooDeep();
  let l = localId;
  let r = targetId;
  let ptr = behindPtr;
  for (let depth = MAX_DEPTH; depth > 0; depth--) {
    l = resolveId(local, l);
    r = resolveId(target, r);
    const lt = typeById(local, l);
    const rt = typeById(target, r);
    if (!namesMatch(lt.name, rt.name)) return false;
    switch (lt.kind) {
      case 'void':
        return rt.kind === 'void';
      case 'fwd':
        if (ptr && rt.kind !== 'fwd') {
          // A forward declaration's flag says struct (false) or union (true).
          return (rt.kind === 'struct' && !lt.union) || (rt.kind === 'union' && lt.union);
        }
        return rt.kind === 'fwd' && rt.union === lt.union;
      case 'enum':
      case 'enum64':
        return isAnyEnum(rt) && enumsMatch(lt, rt);
      case 'struct':
      case 'union':
        if (ptr) {
          if (rt.kind === lt.kind) return true;
          return rt.kind === 'fwd' && (lt.kind === 'union') === rt.union;
        }
        if (rt.kind !== lt.kind) return false;
        return compositesMatch(local, lt, target, rt, ptr, level);
      case 'int':
        return rt.kind === 'int' && lt.size === rt.size && lt.signed === rt.signed;
      case 'ptr':
        if (rt.kind !== 'ptr') return false;
        ptr = true;
        l = lt.type;
        r = rt.type;
        continue;
      case 'array':
        if (rt.kind !== 'array' || lt.nelems !== rt.nelems) return false;
        l = lt.type;
        r = rt.type;
        continue;
      case 'func_proto':
        if (rt.kind !== 'func_proto' || lt.params.length !== rt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(local, lt.params[i]!.type, target, rt.params[i]!.type, ptr, level - 1))
            return false;
        }
        l = lt.returnType;
        r = rt.returnType;
        continue;
      default:
        return false;
    }
  }
  throw tooDeep();
}

function compositesMatch(
  local: Btf,
  lt: Extract<BtfType, { kind: 'struct' | 'union' }>,
  target: Btf,
  rt: Extract<BtfType, { kind: 'struct' | 'union' }>,
  behindPtr: boolean,
  level: number,
): boolean {
  if (lt.members.length > rt.members.length) return false;
  return lt.members.every((lm) =>
    rt.members.some(
      (rm) =>
        namesMatch(lm.name, rm.name) && typesMatch(local, lm.type, target, rm.type, behindPtr, level - 1),
    ),
  );
}
