// Prototypes of the kfuncs tsbpf implements, as the kernel's verifier reads them: the parameters
// of the FUNC_PROTO in vmlinux BTF (a pointer to the program's context, a pointer to a struct of
// scalars with a following `__sz` length, a pointer to a kernel object), the BTF_ID_FLAGS of the
// kfunc's id set (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL) and the program types its set is
// registered for (register_btf_kfunc_id_set). Facts of Linux 6.18: net/netfilter/nf_conntrack_bpf.c
// (nf_ct kfuncs, registered for XDP and SCHED_CLS), kernel/bpf/helpers.c (bpf_rcu_read_lock and
// _unlock, the dynptr kfuncs, in the common set, every program type) and net/core/filter.c (the
// skb, skb_meta and xdp dynptr constructors). The parameters are checked against the running
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
  | { readonly kind: 'object'; readonly struct: string }
  /** A plain integer (u32, u64 flags). */
  | { readonly kind: 'scalar' }
  /** `const struct bpf_dynptr *` (KF_ARG_PTR_TO_DYNPTR, MEM_RDONLY): an initialised dynptr. */
  | { readonly kind: 'dynptr' }
  /** `struct bpf_dynptr *ptr__uninit`: the kfunc constructs a dynptr of this type ('clone': the first argument's). */
  | { readonly kind: 'uninit-dynptr'; readonly dynptr: 'skb' | 'xdp' | 'skb_meta' | 'clone' }
  /** `void *buffer__opt`: memory of the next parameter's constant size, or NULL. */
  | { readonly kind: 'buffer-or-null' }
  /** `buffer__szk`: a known constant, the size of the buffer before it and of the slice returned. */
  | { readonly kind: 'const-size' };

export interface KfuncProto {
  readonly params: readonly KfuncParam[];
  /**
   * void, an integer (int, bool, u32), a pointer to a kernel object (`struct nf_conn *`), or a
   * dynptr slice (`void *`: const-size bytes or NULL, read-only unless `rdwr`).
   */
  readonly ret:
    | { readonly kind: 'void' }
    | { readonly kind: 'integer' }
    | { readonly kind: 'object'; readonly struct: string }
    | { readonly kind: 'slice'; readonly rdwr: boolean };
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

/** The program types net/core/filter.c registers bpf_kfunc_set_skb for. */
const SKB_TYPES: readonly ProgTypeName[] = [
  'SOCKET_FILTER',
  'SCHED_CLS',
  'SCHED_ACT',
  'CGROUP_SKB',
  'LWT_IN',
  'LWT_OUT',
  'LWT_XMIT',
  'LWT_SEG6LOCAL',
  'SK_SKB',
  'NETFILTER',
];
const dynptrFromCtx = (
  ctx: 'xdp_md' | '__sk_buff',
  dynptr: 'skb' | 'xdp' | 'skb_meta',
  progTypes: readonly ProgTypeName[],
): KfuncProto => ({
  params: [{ kind: 'ctx', struct: ctx }, { kind: 'scalar' }, { kind: 'uninit-dynptr', dynptr }],
  ret: { kind: 'integer' },
  progTypes,
});
const slice = (rdwr: boolean): KfuncProto => ({
  params: [{ kind: 'dynptr' }, { kind: 'scalar' }, { kind: 'buffer-or-null' }, { kind: 'const-size' }],
  ret: { kind: 'slice', rdwr },
});
const dynptrQuery: KfuncProto = { params: [{ kind: 'dynptr' }], ret: { kind: 'integer' } };

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
  // Dynptrs: the constructors of net/core/filter.c (skb: bpf_kfunc_set_skb; skb_meta: tc only;
  // xdp), the rest in kernel/bpf/helpers.c's common set.
  ['bpf_dynptr_from_skb', dynptrFromCtx('__sk_buff', 'skb', SKB_TYPES)],
  ['bpf_dynptr_from_skb_meta', dynptrFromCtx('__sk_buff', 'skb_meta', ['SCHED_CLS', 'SCHED_ACT'])],
  ['bpf_dynptr_from_xdp', dynptrFromCtx('xdp_md', 'xdp', ['XDP'])],
  ['bpf_dynptr_slice', slice(false)],
  ['bpf_dynptr_slice_rdwr', slice(true)],
  [
    'bpf_dynptr_adjust',
    { params: [{ kind: 'dynptr' }, { kind: 'scalar' }, { kind: 'scalar' }], ret: { kind: 'integer' } },
  ],
  ['bpf_dynptr_is_null', dynptrQuery],
  ['bpf_dynptr_is_rdonly', dynptrQuery],
  ['bpf_dynptr_size', dynptrQuery],
  [
    'bpf_dynptr_clone',
    {
      params: [{ kind: 'dynptr' }, { kind: 'uninit-dynptr', dynptr: 'clone' }],
      ret: { kind: 'integer' },
    },
  ],
]);
