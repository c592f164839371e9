// Candidate search: the target types a local root type may correspond to — same kind (enums of
// either width count as one kind) and the same name once flavors (`___suffix`) are dropped, as
// libbpf's bpf_core_add_cands. The target's names are indexed once per Btf object (a WeakMap, so a
// big vmlinux BTF is scanned once however many relocations ask).

import { typeById } from '../query.js';
import type { Btf } from '../types.js';
import { kindsCompat } from './compat.js';
import { essentialName } from './names.js';

const indexes = new WeakMap<Btf, Map<string, number[]>>();

function nameIndex(btf: Btf): Map<string, number[]> {
  let index = indexes.get(btf);
  if (index === undefined) {
    index = new Map();
    for (let id = 1; id < btf.types.length; id++) {
      const name = btf.types[id]!.name;
      if (name === '') continue;
      const key = essentialName(name);
      const ids = index.get(key);
      if (ids === undefined) index.set(key, [id]);
      else ids.push(id);
    }
    indexes.set(btf, index);
  }
  return index;
}

/** Target type ids that may stand for local type `localId`, in id order; [] for an anonymous type. */
export function findCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = typeById(local, localId);
  if (lt.name === '') return [];
  const ids = nameIndex(target).get(essentialName(lt.name)) ?? [];
  return ids.filter((id) => kindsCompat(lt, target.types[id]!));
}

/**
 * Candidates per local root type for one relocation pass. Like libbpf's candidate cache, a list
 * shrinks to the candidates that matched a relocation, so later relocations of the same root type
 * consider only those.
 */
export class CandidateCache {
  readonly #lists = new Map<number, number[]>();
  readonly local: Btf;
  readonly target: Btf;

  constructor(local: Btf, target: Btf) {
    this.local = local;
    this.target = target;
  }

  get(localId: number): readonly number[] {
    let list = this.#lists.get(localId);
    if (list === undefined) {
      list = findCandidates(this.local, localId, this.target);
      this.#lists.set(localId, list);
    }
    return list;
  }

  /** Keeps only `matched` (libbpf prunes only when something matched). */
  prune(localId: number, matched: readonly number[]): void {
    if (matched.length > 0) this.#lists.set(localId, [...matched]);
  }
}
