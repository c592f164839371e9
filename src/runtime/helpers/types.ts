// The shape of a helper implementation in the runtime and the checks most of them share:
// resolving r1 to a map or to the run's context, and returning -errno as a 64-bit value.
// Implementations are grouped by topic in the sibling files; index.ts builds the table.

import { RuntimeFault } from '../../errors.js';
import { helperName } from '../../uapi/helpers.js';
import type { SkbContext } from '../context/skb.js';
import type { XdpContext } from '../context/xdp.js';
import type { RuntimeEnv } from '../helper.js';
import type { BpfMap } from '../maps/base.js';

/** A helper as the runtime implements it: r1-r5 in, r0 out, with the full runtime env. */
export type RuntimeHelperFn = (
  env: RuntimeEnv,
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
) => bigint;

export interface HelperImpl {
  /** enum bpf_func_id. */
  readonly id: number;
  readonly fn: RuntimeHelperFn;
}

/** -errno as the unsigned 64-bit r0 a helper returns. */
export const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
/** A u32 argument (the kernel's u32 parameters take the low half of the register). */
export const u32 = (r: bigint): number => Number(r & 0xffffffffn);
/** An int argument (s32). */
export const s32 = (r: bigint): number => Number(BigInt.asIntN(32, r));

/** The map whose handle `r` holds, or a RuntimeFault naming the helper (the verifier would refuse). */
export function mapArg(env: RuntimeEnv, r: bigint, id: number): BpfMap {
  const m = env.maps.byHandle(r);
  if (m === undefined) throw new RuntimeFault(`${helperName(id)}: 0x${r.toString(16)} is not a map`, env.pc);
  return m;
}

/** Checks that `r` is the run's context pointer (ARG_PTR_TO_CTX) of the wanted kind. */
function ctxArg(env: RuntimeEnv, r: bigint, id: number, kind: 'xdp_md' | '__sk_buff'): void {
  const c = env.ctx;
  if (BigInt(c.struct.start) !== r || c.kind !== kind) {
    throw new RuntimeFault(`${helperName(id)}: r1 is not the ${kind} pointer`, env.pc);
  }
}

export function xdpArg(env: RuntimeEnv, r: bigint, id: number): XdpContext {
  ctxArg(env, r, id, 'xdp_md');
  return env.ctx as XdpContext;
}

export function skbArg(env: RuntimeEnv, r: bigint, id: number): SkbContext {
  ctxArg(env, r, id, '__sk_buff');
  return env.ctx as SkbContext;
}
