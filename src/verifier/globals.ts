// Global functions: a subprogram whose BTF FUNC record (func_info) has global linkage is verified
// once, on its own, from its prototype, and its callers take it on trust ("is global and
// assumed valid"): at a call the arguments are checked against the prototype and r0 becomes an
// unknown scalar, whatever the body returns. Static functions are walked at every call instead
// (walk.ts). As Linux 6.18 does it (kernel/bpf/btf.c btf_prepare_func_args and
// btf_check_func_arg_match, kernel/bpf/verifier.c check_func_call and do_check_subprogs), for
// the argument kinds C code gives: scalars (int, enum), the program's context, and pointers to
// memory of a known size, which may be NULL.

import { resolveType, sizeOf, typeById } from '../btf/query.js';
import type { Btf } from '../btf/types.js';
import type { Cfg } from '../cfg/index.js';
import type { FuncInfo } from '../program/types.js';
import type { CtxKind } from '../uapi/context.js';
import { readReg } from './alu.js';
import { type Env, nextId } from './env.js';
import { helperMemAccess } from './memory.js';
import { constOf } from './num.js';
import { refuse } from './refuse.js';
import { current, NOT_INIT, newFrame, noRefs, pointer, type State, UNKNOWN } from './state.js';

/** What a global function takes in a register. */
export type GlobalParam =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ctx' }
  /** PTR_TO_MEM of `size` bytes, maybe NULL (the body must check it). */
  | { readonly kind: 'mem'; readonly size: number };

export interface GlobalFunc {
  /** The slot it starts at. */
  readonly slot: number;
  /** Its number among the subprograms (the kernel's func#N). */
  readonly index: number;
  readonly name: string;
  /** The prototype as the verifier takes it, or why the kernel refuses it. */
  readonly params: readonly GlobalParam[] | string;
}

/** The global functions of a program (never its entry), by starting slot. */
export function globalFunctions(
  cfg: Cfg,
  btf: Btf | undefined,
  funcInfo: readonly FuncInfo[],
  ctx: CtxKind,
): ReadonlyMap<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  if (btf === undefined) return out;
  cfg.subprograms.forEach((s, index) => {
    if (index === 0) return;
    const info = funcInfo.find((f) => f.insnOff === s.start);
    const func = info === undefined ? undefined : btf.types[info.typeId];
    if (func?.kind !== 'func' || func.linkage !== 'global') return;
    out.set(s.start, {
      slot: s.start,
      index,
      name: func.name,
      params: prototype(btf, func.type, func.name, ctx),
    });
  });
  return out;
}

/** btf_prepare_func_args: the parameters' kinds, or the kernel's reason for refusing them. */
function prototype(btf: Btf, protoId: number, name: string, ctx: CtxKind): readonly GlobalParam[] | string {
  const proto = typeById(btf, protoId);
  if (proto.kind !== 'func_proto') return `BTF of func ${name} is not a prototype`;
  const ret = resolveType(btf, proto.returnType);
  // This wording has not been asked of the kernel yet (the corpus makes int functions only); the
  // six-argument one has (globals.vcase).
  if (ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64')
    return `Global function ${name}() doesn't return scalar. Only those are supported.`;
  if (proto.params.length > 5)
    return `Global function ${name}() with ${proto.params.length} > 5 args. Buggy compiler.`;
  const params: GlobalParam[] = [];
  for (const [k, p] of proto.params.entries()) {
    const t = resolveType(btf, p.type);
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') {
      params.push({ kind: 'scalar' });
      continue;
    }
    if (t.kind === 'ptr') {
      const to = resolveType(btf, t.type);
      if ((to.kind === 'struct' || to.kind === 'fwd') && to.name === ctx) {
        params.push({ kind: 'ctx' });
        continue;
      }
      const size =
        to.kind === 'void' || to.kind === 'fwd' || to.kind === 'func_proto' ? 0 : sizeOf(btf, t.type);
      if (size > 0) {
        params.push({ kind: 'mem', size });
        continue;
      }
      // As 6.18 words it (btf_prepare_func_args): void is kind UNKNOWN in its names.
      const kind = to.kind === 'void' ? 'UNKNOWN' : to.kind.toUpperCase();
      return `arg#${k} reference type('${kind} ${to.name}') size cannot be determined: -22`;
    }
    return `Arg#${k} type ${t.kind.toUpperCase()} in ${name}() is not supported yet.`;
  }
  return params;
}

/**
 * A call of global function `g` (check_func_call): the arguments must match its prototype; r0
 * becomes an unknown scalar and r1-r5 are clobbered, as after any call. The body is not walked
 * here: the caller marks it called, and the walk verifies it once, later.
 */
export function globalCall(env: Env, st: State, g: GlobalFunc): void {
  const f = current(st);
  // Typed out so the compiler knows a call never returns (and narrows after it).
  const invalid: (detail: string, reg?: number) => never = (detail, reg) =>
    refuse('helper-arguments', `${detail}\nCaller passes invalid args into func#${g.index} ('${g.name}')`, {
      ...(reg === undefined ? {} : { reg }),
      hint: `pass ${g.name}() what its C prototype declares: scalars, the context, pointers to memory of the pointed-to type's size (or NULL)`,
    });
  if (typeof g.params === 'string') invalid(g.params);
  for (const [k, p] of g.params.entries()) {
    const regno = k + 1;
    const r = readReg(f, regno);
    if (p.kind === 'scalar') {
      if (r.type !== 'scalar') invalid(`R${regno} is not a scalar`, regno);
    } else if (p.kind === 'ctx') {
      if (r.type !== 'ctx') invalid(`arg#${k} expects pointer to ctx`, regno);
      if (r.off !== 0) invalid(`dereference of modified ctx ptr R${regno} off=${r.off} disallowed`, regno);
    } else if (!(r.type === 'scalar' && constOf(r.value) === 0n)) {
      // check_mem_reg: NULL, or memory the function may both read and write.
      helperMemAccess(env, st, r, regno, p.size, false);
      helperMemAccess(env, st, r, regno, p.size, true);
    }
  }
  f.regs[0] = UNKNOWN;
  for (let k = 1; k <= 5; k++) f.regs[k] = NOT_INIT;
}

/** The state a global function is verified from: its arguments as its prototype declares them. */
export function globalEntry(env: Env, g: GlobalFunc): State {
  const f = newFrame(g.slot, -1, false, 0);
  const params = typeof g.params === 'string' ? [] : g.params;
  for (const [k, p] of params.entries())
    f.regs[k + 1] =
      p.kind === 'scalar'
        ? UNKNOWN
        : p.kind === 'ctx'
          ? pointer('ctx')
          : pointer('mem_or_null', { memSize: p.size, id: nextId(env) });
  return { frames: [f], refs: noRefs(), locked: false, rcu: false, unroll: 0, speculative: false };
}
