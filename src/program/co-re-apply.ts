// applyCoreRelocations: a CollectionSpec whose programs carry CO-RE relocations, plus the BTF of
// the target they will run on, in; the same spec with those instructions patched (and the
// relocations dropped), plus a report of every relocation, out. Pure: the caller chooses the
// target (the kernel backend reads /sys/kernel/btf/vmlinux, the VM defaults to the object's own
// BTF). Relocations that cannot be satisfied poison their instruction, as libbpf does.

import { CandidateCache } from '../btf/co-re/candidates.js';
import { CORE_KIND_SHORT } from '../btf/co-re/kinds.js';
import { resolveCoreRelocation } from '../btf/co-re/resolve.js';
import type { CoreReloKindName } from '../btf/ext.js';
import type { Btf } from '../btf/types.js';
import { LoadError } from '../errors.js';
import { type Instruction, slotTable } from '../isa/instruction.js';
import { patchInstruction } from './co-re-patch.js';
import type { CollectionSpec, ProgramSpec } from './types.js';

export interface CoreRelocationReport {
  readonly program: string;
  /** Index of the relocation in the program's coreRelocations. */
  readonly index: number;
  /** Slot of the relocated instruction in the linked program. */
  readonly insnOff: number;
  readonly kind: CoreReloKindName;
  /** The local access, as libbpf's debug log writes it: `<byte_off> [2] struct sample.b (0:1 @ offset 4)`. */
  readonly local: string;
  /** The matched target access, same notation; absent when no target type matched. */
  readonly target?: string;
  readonly outcome: 'patched' | 'poisoned';
  /** `off 4 -> 12, mem_sz 2 -> 4`, `imm 1 -> 0`, `imm64 7 -> 20`, or why it was poisoned. */
  readonly detail: string;
}

export interface CoreRelocated {
  /** The spec with every relocation applied and no `coreRelocations` left. */
  readonly spec: CollectionSpec;
  /** One entry per relocation, in program order. */
  readonly report: readonly CoreRelocationReport[];
  /** The entries whose instruction was poisoned (fine if the code is unreachable, e.g. guarded by bpf_core_field_exists). */
  readonly poisoned: readonly CoreRelocationReport[];
}

/** True if some program still has CO-RE relocations to apply. */
export function hasCoreRelocations(spec: CollectionSpec): boolean {
  return spec.programs.some((p) => (p.coreRelocations?.length ?? 0) > 0);
}

/**
 * Resolves every program's CO-RE relocations against `target` and patches the instructions.
 * Throws LoadError (naming program, relocation and instruction) where libbpf would refuse to
 * load: malformed access strings, ambiguous candidates, instructions that do not hold the value
 * the compiler assumed, offsets that do not fit.
 */
export function applyCoreRelocations(spec: CollectionSpec, target: Btf): CoreRelocated {
  if (!hasCoreRelocations(spec)) return { spec, report: [], poisoned: [] };
  const local = spec.btf;
  if (local === undefined)
    throw new LoadError('LOAD_ERROR', 'CO-RE relocations need the object BTF, and the spec has none');
  const cache = new CandidateCache(local, target);
  const report: CoreRelocationReport[] = [];
  const programs = spec.programs.map((p) => relocateProgram(p, local, target, cache, report));
  return { spec: { ...spec, programs }, report, poisoned: report.filter((r) => r.outcome === 'poisoned') };
}

function relocateProgram(
  p: ProgramSpec,
  local: Btf,
  target: Btf,
  cache: CandidateCache,
  report: CoreRelocationReport[],
): ProgramSpec {
  const { coreRelocations: relos = [], ...rest } = p;
  if (relos.length === 0) return rest;
  const { insnAt } = slotTable(p.instructions);
  // Instruction index -> its replacement (two calls for a poisoned lddw, which keeps its slots).
  const replaced = new Map<number, readonly Instruction[]>();
  relos.forEach((c, index) => {
    const where = `program ${p.name}: CO-RE relocation #${index} (${CORE_KIND_SHORT[c.kind]}) at insn ${c.insnOff}`;
    const k = c.insnOff >= 0 && c.insnOff < insnAt.length ? insnAt[c.insnOff]! : -1;
    if (k < 0) throw new LoadError('LOAD_ERROR', `${where}: not at an instruction`);
    const current = replaced.get(k)?.[0] ?? p.instructions[k]!;
    try {
      const r = resolveCoreRelocation(local, c, target, { cache });
      const patched = patchInstruction(current, r);
      replaced.set(k, patched.out);
      report.push({
        program: p.name,
        index,
        insnOff: c.insnOff,
        kind: c.kind,
        local: r.local,
        ...(r.target === undefined ? {} : { target: r.target }),
        outcome: patched.poisoned ? 'poisoned' : 'patched',
        detail: patched.detail,
      });
    } catch (e) {
      if (e instanceof LoadError) throw new LoadError('LOAD_ERROR', `${where}: ${e.message}`, { cause: e });
      throw e;
    }
  });
  const instructions = p.instructions.flatMap((i, k) => replaced.get(k) ?? [i]);
  return { ...rest, instructions };
}
