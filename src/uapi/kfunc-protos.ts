// Prototypes of the kfuncs tsbpf implements, as the kernel's verifier reads them: the parameters
// of the FUNC_PROTO in vmlinux BTF (a pointer to the program's context, a pointer to a struct of
// scalars with a following `__sz` length, a pointer to a kernel object), the BTF_ID_FLAGS of the
// kfunc's id set (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL) and the program types its set is
// registered for (register_btf_kfunc_id_set). Facts of Linux 6.18: net/netfilter/nf_conntrack_bpf.c
// (nf_ct kfuncs, registered for XDP and SCHED_CLS) and kernel/bpf/helpers.c (bpf_rcu_read_lock and
// _unlock in the common set, every program type). The parameters are checked against the running
// kernel's vmlinux BTF in src/verifier/kfuncs-kernel.test.ts. Data only; the implementations are
// in runtime/helpers/.

import type { ProgTypeName } from './prog-types.js';

/** One parameter, as check_kfunc_args classifies it. */
export type KfuncParam =
  /** `struct xdp_md *` / `struct __sk_buff *`: the context when it is the program's (KF_ARG_PTR_TO_CTX). */
  | { readonly kind: 'ctx'; readonly struct: 'xdp_md' | '__sk_buff' }
  /** A pointer to a struct of scalars whose length is the next parameter (`name__sz`): KF_ARG_PTR_TO_MEM_SIZE. */
  | { readonly kind: 'mem'; readonly struct: string }
  /** The `__sz` length of the memory before it. */
  | { readonly kind: 'size' }
  /** A pointer to a kernel object (KF_ARG_PTR_TO_BTF_ID): only a trusted or referenced pointer to it. */
  | { readonly kind: 'object'; readonly struct: string };

export interface KfuncProto {
  readonly params: readonly KfuncParam[];
  /** void, or a pointer to a kernel object (`struct nf_conn *`). */
  readonly ret: { readonly kind: 'void' } | { readonly kind: 'object'; readonly struct: string };
  /** KF_ACQUIRE: the result is a reference the program must release. */
  readonly acquire?: boolean;
  /** KF_RELEASE: releases the reference its object argument holds. */
  readonly release?: boolean;
  /** KF_RET_NULL: the result may be NULL. */
  readonly retNull?: boolean;
  /** Program types the kfunc's set is registered for; absent: every type. */
  readonly progTypes?: readonly ProgTypeName[];
}

const CT_TYPES: readonly ProgTypeName[] = ['XDP', 'SCHED_CLS'];
const ctLookup = (ctx: 'xdp_md' | '__sk_buff'): KfuncProto => ({
  params: [
    { kind: 'ctx', struct: ctx },
    { kind: 'mem', struct: 'bpf_sock_tuple' },
    { kind: 'size' },
    { kind: 'mem', struct: 'bpf_ct_opts' },
    { kind: 'size' },
  ],
  ret: { kind: 'object', struct: 'nf_conn' },
  acquire: true,
  retNull: true,
  progTypes: CT_TYPES,
});

/** By name (kfuncs have no stable ids). */
export const KFUNC_PROTOS: ReadonlyMap<string, KfuncProto> = new Map<string, KfuncProto>([
  ['bpf_rcu_read_lock', { params: [], ret: { kind: 'void' } }],
  ['bpf_rcu_read_unlock', { params: [], ret: { kind: 'void' } }],
  ['bpf_xdp_ct_lookup', ctLookup('xdp_md')],
  ['bpf_skb_ct_lookup', ctLookup('__sk_buff')],
  [
    'bpf_ct_release',
    {
      params: [{ kind: 'object', struct: 'nf_conn' }],
      ret: { kind: 'void' },
      release: true,
      progTypes: CT_TYPES,
    },
  ],
]);
