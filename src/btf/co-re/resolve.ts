// Resolves one CO-RE relocation against a target BTF (libbpf bpf_core_calc_relo_insn): parse the
// local access, find candidates by name, match each, compute local and target values, and insist
// that every matching candidate agrees. When none matches, existence checks become 0 and the rest
// ask for the instruction to be poisoned. Errors libbpf refuses to load with throw LoadError.

import { LoadError } from '../../errors.js';
import { typeById } from '../query.js';
import type { Btf } from '../types.js';
import { type CoreRelocationRef, parseCoreSpec } from './access.js';
import { CandidateCache } from './candidates.js';
import { describeSpec } from './describe.js';
import { coreFamily } from './kinds.js';
import { matchSpec } from './target.js';
import type { CoreResult, CoreSpec } from './types.js';
import { enumValue, fieldValue, POISON, typeValue } from './value.js';

export interface ResolveOptions {
  /** Candidate lists shared by the relocations of one pass (libbpf prunes them as it goes). */
  readonly cache?: CandidateCache;
  /** Byte order the program runs in (bitfield shifts); default: the local BTF's. */
  readonly littleEndian?: boolean;
}

/** Resolves `relo` (local root type, access string, kind) of `local` BTF against `target`. */
export function resolveCoreRelocation(
  local: Btf,
  relo: CoreRelocationRef,
  target: Btf,
  options: ResolveOptions = {},
): CoreResult {
  const root = typeById(local, relo.typeId);
  let localSpec: CoreSpec;
  try {
    localSpec = parseCoreSpec(local, relo);
  } catch (e) {
    const name = root.name === '' ? '<anon>' : root.name;
    throw new LoadError(
      'LOAD_ERROR',
      `parsing [${relo.typeId}] ${root.kind} ${name} + ${relo.access} failed: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const localText = describeSpec(localSpec);
  const le = options.littleEndian ?? local.littleEndian;

  if (relo.kind === 'TYPE_ID_LOCAL') {
    // Needs no target; the id in the instruction may have changed in linking, so it is not checked.
    const id = BigInt(localSpec.rootId);
    return { ...base(id, id, localText), validate: false };
  }
  if (root.name === '') {
    throw new LoadError('LOAD_ERROR', `${localText}: relocations against anonymous types are not supported`);
  }

  const cache = options.cache ?? new CandidateCache(local, target);
  const matched: number[] = [];
  let chosen: { result: CoreResult; spec: CoreSpec } | undefined;
  for (const id of cache.get(relo.typeId)) {
    const spec = matchSpec(localSpec, target, id);
    if (spec === undefined) continue;
    const result = calc(localSpec, spec, le, localText);
    if (chosen === undefined) {
      chosen = { result, spec };
    } else if (spec.bitOffset !== chosen.spec.bitOffset) {
      throw new LoadError(
        'LOAD_ERROR',
        `${localText}: field offset ambiguity: ${spec.bitOffset} != ${chosen.spec.bitOffset} (bits)`,
      );
    } else if (result.poison !== chosen.result.poison || result.newVal !== chosen.result.newVal) {
      const say = (r: CoreResult) => `${r.poison ? 'failure' : 'success'} ${r.newVal}`;
      throw new LoadError(
        'LOAD_ERROR',
        `${localText}: relocation decision ambiguity: ${say(result)} != ${say(chosen.result)}`,
      );
    }
    matched.push(id);
  }
  cache.prune(relo.typeId, matched);
  return chosen?.result ?? calc(localSpec, undefined, le, localText);
}

function base(origVal: bigint, newVal: bigint, local: string) {
  return {
    origVal,
    newVal,
    poison: false,
    validate: true,
    origSize: 0,
    newSize: 0,
    failMemSizeAdjust: false,
    local,
  };
}

/** Local and target values of one relocation (libbpf bpf_core_calc_relo). */
function calc(
  localSpec: CoreSpec,
  targetSpec: CoreSpec | undefined,
  le: boolean,
  localText: string,
): CoreResult {
  const kind = localSpec.kind;
  const target = targetSpec === undefined ? {} : { target: describeSpec(targetSpec) };
  switch (coreFamily(kind)) {
    case 'field': {
      const l = fieldValue(kind, localSpec, le);
      if (l === POISON) throw new LoadError('LOAD_ERROR', `${localText}: no local value`);
      const t = fieldValue(kind, targetSpec, le);
      if (t === POISON)
        return { ...base(l.value, 0n, localText), ...target, validate: l.validate, poison: true };
      let failMemSizeAdjust = false;
      if (l.size !== t.size && targetSpec !== undefined) {
        // Resizing a load is safe for pointers (read as zero-extended integers) and unsigned
        // integers; anything else would read a different value.
        const lt = typeById(localSpec.btf, l.typeId);
        const tt = typeById(targetSpec.btf, t.typeId);
        const unsignedInt = (x: typeof lt) => x.kind === 'int' && !x.signed;
        failMemSizeAdjust = !(
          (lt.kind === 'ptr' && tt.kind === 'ptr') ||
          (unsignedInt(lt) && unsignedInt(tt))
        );
      }
      return {
        ...base(l.value, t.value, localText),
        ...target,
        validate: l.validate,
        origSize: l.size,
        newSize: t.size,
        failMemSizeAdjust,
      };
    }
    case 'type': {
      const l = typeValue(localSpec, kind);
      const t = typeValue(targetSpec, kind);
      return { ...base(l.value, t.value, localText), ...target, validate: l.validate };
    }
    case 'enumval': {
      const l = enumValue(localSpec, kind);
      if (l === POISON) throw new LoadError('LOAD_ERROR', `${localText}: no local value`);
      const t = enumValue(targetSpec, kind);
      if (t === POISON) return { ...base(l, 0n, localText), ...target, poison: true };
      return { ...base(l, t, localText), ...target };
    }
  }
}
