// What every rule of the walk may consult besides the state: the program type, the maps by
// name, the mode, and the id generator the kernel keeps per verification (env->id_gen).

import type { MapSpec } from '../program/types.js';
import type { AttachTypeName } from '../uapi/attach-types.js';
import type { CtxKind } from '../uapi/context.js';
import type { ProgTypeName } from '../uapi/prog-types.js';

import type { GlobalFunc } from './globals.js';
import type { State } from './state.js';

export interface Env {
  readonly type: ProgTypeName;
  readonly attachType: AttachTypeName | undefined;
  readonly ctx: CtxKind;
  readonly maps: ReadonlyMap<string, MapSpec>;
  /** Privileged loading (CAP_BPF + CAP_PERFMON, root): uninitialised stack reads, pointer comparisons. */
  readonly privileged: boolean;
  /** Slots that start a subprogram. */
  readonly subprogramStarts: ReadonlySet<number>;
  /** The global functions (globals.ts), by starting slot: verified once, called on trust. */
  readonly globals: ReadonlyMap<number, GlobalFunc>;
  /** Per slot: what the walk proved about the load or store there (proofs.ts). */
  readonly proofs: Uint8Array;
  /**
   * Unprivileged pointer arithmetic by register, per slot: the mask the first path there needs
   * (sanitize.ts; the kernel's insn_aux alu_state and alu_limit), which every path must share.
   */
  readonly aluSanitation: Map<number, { readonly state: number; readonly limit: number }>;
  /**
   * A variable offset was masked: states compare scalars exactly from then on, so that paths
   * needing another mask are walked (the kernel's env->explore_alu_limits).
   */
  exploreAluLimits: boolean;
  /**
   * Slots a speculative path failed at: the JIT puts a barrier before them (the kernel's insn_aux
   * nospec), so later speculative paths stop there and an ALU there is not masked.
   */
  readonly nospec: Set<number>;
  /** Stack stores the JIT follows with a barrier (Spectre v4, insn_aux nospec_result). */
  readonly nospecResult: Set<number>;
  /** The last id handed out (pointers from one lookup share an id; references too). */
  idGen: number;
}

export function nextId(env: Env): number {
  env.idGen += 1;
  return env.idGen;
}

/**
 * A reference the path holds from `pc` on (ring-buffer record, socket, kfunc object): 6.18
 * draws the maybe-NULL id first, then acquire_reference's, which the pointer takes for both
 * (a program's first reference is id=2).
 */
export function acquireReference(env: Env, st: State, pc: number): number {
  nextId(env);
  const ref = nextId(env);
  st.refs.push({ id: ref, insn: pc });
  return ref;
}
