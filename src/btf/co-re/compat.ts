// Structural compatibility of a local and a target type, the two relations CO-RE relocation
// uses besides names (libbpf relo_core.c): typesAreCompat for type relocations (TYPE_EXISTS,
// TYPE_SIZE, TYPE_ID_TARGET) and fieldsAreCompat for the type of a matched member. Typedefs and
// qualifiers are looked through; recursion is bounded (32, as libbpf) and overflowing it throws.

import { LoadError } from '../../errors.js';
import { resolveId, typeById } from '../query.js';
import type { Btf, BtfType } from '../types.js';
import { essentialName } from './names.js';

/** libbpf's recursion budget for type comparisons. */
const MAX_DEPTH = 32;

const tooDeep = (): LoadError => new LoadError('LOAD_ERROR', 'CO-RE: types nest too deeply to compare');

export const isAnyEnum = (t: BtfType): boolean => t.kind === 'enum' || t.kind === 'enum64';

/** Same kind, or both enums of either width (btf_kind_core_compat). */
export function kindsCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

function resolved(btf: Btf, id: number): [number, BtfType] {
  const r = resolveId(btf, id);
  return [r, typeById(btf, r)];
}

/**
 * Type relocations: same kind all the way down; structs, unions, enums and forward declarations
 * match by kind alone (names were matched by the candidate search), integers unless they are the
 * deprecated bit-offset kind, pointers and arrays by what they point to or hold, function
 * prototypes by arity and every parameter and the return type.
 */
export function typesAreCompat(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  level = MAX_DEPTH,
): boolean {
  if (!kindsCompat(typeById(local, localId), typeById(target, targetId))) return false;
  let l = localId;
  let r = targetId;
  for (let depth = MAX_DEPTH; depth > 0; depth--) {
    const [, lt] = resolved(local, l);
    const [, rt] = resolved(target, r);
    if (!kindsCompat(lt, rt)) return false;
    switch (lt.kind) {
      case 'void':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'fwd':
        return true;
      case 'int':
        return lt.bitOffset === 0 && rt.kind === 'int' && rt.bitOffset === 0;
      case 'ptr':
      case 'array':
        l = lt.type;
        r = (rt as { type: number }).type;
        continue;
      case 'func_proto': {
        if (rt.kind !== 'func_proto' || lt.params.length !== rt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw tooDeep();
          const lp = resolveId(local, lt.params[i]!.type);
          const rp = resolveId(target, rt.params[i]!.type);
          if (!typesAreCompat(local, lp, target, rp, level - 1)) return false;
        }
        l = lt.returnType;
        r = rt.returnType;
        continue;
      }
      default:
        // libbpf warns "unexpected kind relocated" and treats it as incompatible.
        return false;
    }
  }
  throw tooDeep();
}

/**
 * A matched member's type: any two structs/unions, pointers or floats; forward declarations and
 * enums whose names agree (ignoring flavors) or where one is anonymous; integers unless of the
 * bit-offset kind; arrays by element type, whatever their length.
 */
export function fieldsAreCompat(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  let l = localId;
  let r = targetId;
  for (let depth = MAX_DEPTH; depth > 0; depth--) {
    const [, lt] = resolved(local, l);
    const [, rt] = resolved(target, r);
    const composite = (t: BtfType) => t.kind === 'struct' || t.kind === 'union';
    if (composite(lt) && composite(rt)) return true;
    if (!kindsCompat(lt, rt)) return false;
    switch (lt.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64': {
        const ln = essentialName(lt.name);
        const rn = essentialName(rt.name);
        return ln === '' || rn === '' || ln === rn;
      }
      case 'int':
        return lt.bitOffset === 0 && rt.kind === 'int' && rt.bitOffset === 0;
      case 'array':
        l = lt.type;
        r = (rt as { type: number }).type;
        continue;
      default:
        return false;
    }
  }
  throw tooDeep();
}
