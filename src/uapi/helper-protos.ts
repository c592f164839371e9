// Prototypes of the helpers tsbpf implements: argument and return kinds (the kernel's
// bpf_func_proto arg*_type / ret_type, simplified) and the program types that may call each
// (the kernel's *_func_proto switches in net/core/filter.c and kernel/bpf/helpers.c). Sizes
// (zero allowed or not), fixed-size memory and packet access were asked of Linux 6.18 for every
// helper with a memory argument (test/verifier/helpers.vcase).
// Data only; the implementations are in runtime/helpers/. Helper ids are in helpers.ts.

import type { ProgTypeName } from './prog-types.js';

/** What a helper argument must be (ARG_* of include/linux/bpf.h, folded). */
export type HelperArgKind =
  | 'ctx' // ARG_PTR_TO_CTX
  | 'map' // ARG_CONST_MAP_PTR
  | 'key' // ARG_PTR_TO_MAP_KEY
  | 'value' // ARG_PTR_TO_MAP_VALUE
  | 'uninit-value' // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT (pop/peek target)
  | 'mem' // ARG_PTR_TO_MEM (read), its length in the next argument
  | 'mem-or-null' // ARG_PTR_TO_MEM | PTR_MAYBE_NULL (NULL with size 0)
  | 'uninit-mem' // ARG_PTR_TO_UNINIT_MEM (written)
  | FixedMem // ARG_PTR_TO_FIXED_SIZE_MEM: arg_size bytes, no length argument
  | 'size' // ARG_CONST_SIZE: at least one byte
  | 'size-or-zero' // ARG_CONST_SIZE_OR_ZERO
  | 'func' // ARG_PTR_TO_FUNC (a callback: lddw src_reg 4)
  | 'ringbuf-mem' // ARG_PTR_TO_RINGBUF_MEM (a record from bpf_ringbuf_reserve)
  | 'spin-lock' // ARG_PTR_TO_SPIN_LOCK (a struct bpf_spin_lock in a map value)
  | 'stack-or-null' // ARG_PTR_TO_STACK_OR_NULL (a callback context)
  | 'alloc-size-or-zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO (a known constant: the size of the memory returned)
  | 'dynptr' // ARG_PTR_TO_DYNPTR | MEM_RDONLY: an initialised dynptr of any type
  | 'uninit-dynptr-local' // ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT (constructed there)
  | 'uninit-dynptr-ringbuf' // ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT (a new reference)
  | 'release-dynptr-ringbuf' // ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE
  | 'sock-common' // ARG_PTR_TO_SOCK_COMMON: any socket pointer, tested against NULL
  | 'release-sock' // ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE: a socket reference, released
  | 'anything'; // ARG_ANYTHING (a scalar)

/** ARG_PTR_TO_FIXED_SIZE_MEM with its arg_size; MEM_WRITE (the helper stores there); MEM_ALIGNED. */
export interface FixedMem {
  readonly fixed: number;
  readonly write?: boolean;
  readonly aligned?: boolean;
}

export type HelperRetKind =
  | 'integer'
  | 'map-value-or-null'
  | 'ringbuf-mem-or-null'
  | 'dynptr-mem-or-null' // RET_PTR_TO_DYNPTR_MEM_OR_NULL: the alloc size argument's bytes
  | 'sock-or-null' // RET_PTR_TO_SOCKET_OR_NULL
  | 'sock-common-or-null' // RET_PTR_TO_SOCK_COMMON_OR_NULL
  | 'tcp-sock-or-null' // RET_PTR_TO_TCP_SOCK_OR_NULL
  | 'void';

export interface HelperProto {
  readonly args: readonly HelperArgKind[];
  readonly ret: HelperRetKind;
  /** Program types that may call it; absent: every program type. */
  readonly progTypes?: readonly ProgTypeName[] | undefined;
  /** bpf_func_proto.pkt_access: its memory arguments may point into the packet. */
  readonly pktAccess?: boolean;
  /** The pointer returned is a reference the program must release (is_acquire_function). */
  readonly acquire?: boolean;
  /** The pointer returned is r1's seen as another type, holding r1's reference (is_ptr_cast_function). */
  readonly cast?: boolean;
  /**
   * Offered by bpf_base_func_proto to CAP_BPF loads only (trace_printk and trace_vprintk: to
   * CAP_PERFMON ones), so not to unprivileged socket filters and cgroup skb programs.
   */
  readonly privileged?: boolean;
}

const TC: readonly ProgTypeName[] = ['SCHED_CLS', 'SCHED_ACT'];
const XDP: readonly ProgTypeName[] = ['XDP'];
/** bpf_fib_lookup: XDP and tc (tc_cls_act_func_proto, xdp_func_proto). */
const XDP_TC: readonly ProgTypeName[] = [...TC, 'XDP'];
/** tc and cgroup skb (tc_cls_act_func_proto, cg_skb_func_proto): the socket helpers, ECN. */
const TC_CGROUP: readonly ProgTypeName[] = [...TC, 'CGROUP_SKB'];
/** bpf_sk_lookup_tcp/_udp, bpf_skc_lookup_tcp(ctx, tuple, tuple_size, netns, flags): tc, cgroup skb, XDP. */
const SK_LOOKUP = {
  args: ['ctx', 'mem', 'size-or-zero', 'anything', 'anything'],
  pktAccess: true,
  acquire: true,
  progTypes: [...TC_CGROUP, 'XDP'],
} as const;
const CSUM_ARGS: readonly HelperArgKind[] = ['ctx', 'anything', 'anything', 'anything', 'anything'];

/** By helper id (enum bpf_func_id). */
export const HELPER_PROTOS: ReadonlyMap<number, HelperProto> = completed([
  [1, { args: ['map', 'key'], ret: 'map-value-or-null', pktAccess: true }], // map_lookup_elem
  [2, { args: ['map', 'key', 'value', 'anything'], ret: 'integer', pktAccess: true }], // map_update_elem
  [3, { args: ['map', 'key'], ret: 'integer', pktAccess: true }], // map_delete_elem
  [5, { args: [], ret: 'integer' }], // ktime_get_ns
  [6, { args: ['mem', 'size', 'anything', 'anything', 'anything'], ret: 'integer', privileged: true }], // trace_printk
  [7, { args: [], ret: 'integer' }], // get_prandom_u32
  [8, { args: [], ret: 'integer' }], // get_smp_processor_id
  [9, { args: ['ctx', 'anything', 'mem', 'size', 'anything'], ret: 'integer', progTypes: TC }], // skb_store_bytes
  [10, { args: CSUM_ARGS, ret: 'integer', progTypes: TC }], // l3_csum_replace
  [11, { args: CSUM_ARGS, ret: 'integer', progTypes: TC }], // l4_csum_replace
  [12, { args: ['ctx', 'map', 'anything'], ret: 'void' }], // tail_call
  [18, { args: ['ctx', 'anything', 'anything'], ret: 'integer', progTypes: TC }], // skb_vlan_push
  [19, { args: ['ctx'], ret: 'integer', progTypes: TC }], // skb_vlan_pop
  [20, { args: ['ctx', 'uninit-mem', 'size', 'anything'], ret: 'integer', progTypes: TC }], // skb_get_tunnel_key
  [21, { args: ['ctx', 'mem', 'size', 'anything'], ret: 'integer', progTypes: TC }], // skb_set_tunnel_key
  [23, { args: ['anything', 'anything'], ret: 'integer', progTypes: [...TC, 'XDP'] }], // redirect
  // perf_event_output: every program type has a flavour (XDP: bpf_xdp_event_output; tc and socket
  // filters: bpf_skb_event_output; tracing: regs in r1); runtime/ implements the packet ones.
  [25, { args: ['ctx', 'map', 'anything', 'mem', 'size-or-zero'], ret: 'integer' }],
  [
    26, // skb_load_bytes
    {
      args: ['ctx', 'anything', 'uninit-mem', 'size'],
      ret: 'integer',
      progTypes: ['SOCKET_FILTER', ...TC, 'CGROUP_SKB'],
    },
  ],
  [
    28, // csum_diff
    {
      args: ['mem-or-null', 'size-or-zero', 'mem-or-null', 'size-or-zero', 'anything'],
      ret: 'integer',
      pktAccess: true,
      progTypes: XDP_TC, // not socket filters nor cgroup skb (sk_filter_func_proto, cg_skb_func_proto)
    },
  ], // csum_diff
  [29, { args: ['ctx', 'uninit-mem', 'size'], ret: 'integer', progTypes: TC }], // skb_get_tunnel_opt
  [30, { args: ['ctx', 'mem', 'size'], ret: 'integer', progTypes: TC }], // skb_set_tunnel_opt
  [31, { args: ['ctx', 'anything', 'anything'], ret: 'integer', progTypes: TC }], // skb_change_proto
  [34, { args: ['ctx'], ret: 'integer', progTypes: TC }], // get_hash_recalc
  [38, { args: ['ctx', 'anything', 'anything'], ret: 'integer', progTypes: TC }], // skb_change_tail
  [39, { args: ['ctx', 'anything'], ret: 'integer', progTypes: TC }], // skb_pull_data
  [40, { args: ['ctx', 'anything'], ret: 'integer', progTypes: TC }], // csum_update
  [41, { args: ['ctx'], ret: 'integer', progTypes: TC }], // set_hash_invalid
  [43, { args: ['ctx', 'anything', 'anything'], ret: 'integer', progTypes: TC }], // skb_change_head
  [44, { args: ['ctx', 'anything'], ret: 'integer', progTypes: XDP }], // xdp_adjust_head
  [48, { args: ['ctx', 'anything'], ret: 'integer', progTypes: TC }], // set_hash
  [50, { args: ['ctx', 'anything', 'anything', 'anything'], ret: 'integer', progTypes: TC }], // skb_adjust_room
  [51, { args: ['map', 'anything', 'anything'], ret: 'integer', progTypes: XDP }], // redirect_map
  [54, { args: ['ctx', 'anything'], ret: 'integer', progTypes: XDP }], // xdp_adjust_meta
  [65, { args: ['ctx', 'anything'], ret: 'integer', progTypes: XDP }], // xdp_adjust_tail
  [69, { args: ['ctx', 'uninit-mem', 'size', 'anything'], ret: 'integer', progTypes: XDP_TC }], // fib_lookup
  [87, { args: ['map', 'value', 'anything'], ret: 'integer', pktAccess: true }], // map_push_elem
  [88, { args: ['map', 'uninit-value'], ret: 'integer' }], // map_pop_elem
  [89, { args: ['map', 'uninit-value'], ret: 'integer' }], // map_peek_elem
  [93, { args: ['spin-lock'], ret: 'void', privileged: true }], // spin_lock
  [94, { args: ['spin-lock'], ret: 'void', privileged: true }], // spin_unlock
  [84, { ...SK_LOOKUP, ret: 'sock-or-null' }], // sk_lookup_tcp
  [85, { ...SK_LOOKUP, ret: 'sock-or-null' }], // sk_lookup_udp
  [86, { args: ['release-sock'], ret: 'integer', progTypes: [...TC_CGROUP, 'XDP'] }], // sk_release
  [95, { args: ['sock-common'], ret: 'sock-or-null', progTypes: TC_CGROUP, cast: true }], // sk_fullsock
  [96, { args: ['sock-common'], ret: 'tcp-sock-or-null', progTypes: TC_CGROUP, cast: true }], // tcp_sock
  [97, { args: ['ctx'], ret: 'integer', progTypes: TC_CGROUP }], // skb_ecn_set_ce
  [98, { args: ['sock-common'], ret: 'sock-or-null', progTypes: TC_CGROUP }], // get_listener_sock
  [99, { ...SK_LOOKUP, ret: 'sock-common-or-null' }], // skc_lookup_tcp
  [125, { args: [], ret: 'integer' }], // ktime_get_boot_ns
  [130, { args: ['map', 'mem', 'size-or-zero', 'anything'], ret: 'integer' }], // ringbuf_output
  [131, { args: ['map', 'anything', 'anything'], ret: 'ringbuf-mem-or-null' }], // ringbuf_reserve
  [132, { args: ['ringbuf-mem', 'anything'], ret: 'void' }], // ringbuf_submit
  [133, { args: ['ringbuf-mem', 'anything'], ret: 'void' }], // ringbuf_discard
  [134, { args: ['map', 'anything'], ret: 'integer' }], // ringbuf_query
  [135, { args: ['ctx', 'anything'], ret: 'integer', progTypes: TC }], // csum_level
  [152, { args: ['anything', 'mem-or-null', 'size-or-zero', 'anything'], ret: 'integer', progTypes: TC }], // redirect_neigh
  [155, { args: ['anything', 'anything'], ret: 'integer', progTypes: TC }], // redirect_peer
  [160, { args: [], ret: 'integer' }], // ktime_get_coarse_ns
  [
    163, // check_mtu: mtu_len is a u32, read and written (MEM_WRITE | MEM_ALIGNED)
    {
      args: ['ctx', 'anything', { fixed: 4, write: true, aligned: true }, 'anything', 'anything'],
      ret: 'integer',
      progTypes: XDP_TC,
    },
  ], // check_mtu
  [164, { args: ['map', 'func', 'stack-or-null', 'anything'], ret: 'integer', privileged: true }], // for_each_map_elem
  [177, { args: ['mem', 'size', 'mem-or-null', 'size-or-zero'], ret: 'integer', privileged: true }], // trace_vprintk
  [181, { args: ['anything', 'func', 'stack-or-null', 'anything'], ret: 'integer', privileged: true }], // loop
  [188, { args: ['ctx'], ret: 'integer', progTypes: XDP }], // xdp_get_buff_len
  [189, { args: ['ctx', 'anything', 'uninit-mem', 'size'], ret: 'integer', progTypes: XDP }], // xdp_load_bytes
  [190, { args: ['ctx', 'anything', 'mem', 'size'], ret: 'integer', progTypes: XDP }], // xdp_store_bytes
  // tcp_raw_gen_syncookie_ipv4/6(iph, th, th_len) and tcp_raw_check_syncookie_ipv4/6(iph, th):
  // struct iphdr (20 bytes) / ipv6hdr (40) and tcphdr (20) as fixed-size memory.
  [204, { args: [{ fixed: 20 }, 'mem', 'size-or-zero'], ret: 'integer', progTypes: XDP_TC, pktAccess: true }],
  [205, { args: [{ fixed: 40 }, 'mem', 'size-or-zero'], ret: 'integer', progTypes: XDP_TC, pktAccess: true }],
  [206, { args: [{ fixed: 20 }, { fixed: 20 }], ret: 'integer', progTypes: XDP_TC, pktAccess: true }],
  [207, { args: [{ fixed: 40 }, { fixed: 20 }], ret: 'integer', progTypes: XDP_TC, pktAccess: true }],
  [208, { args: [], ret: 'integer' }], // ktime_get_tai_ns
  // Dynptrs (kernel/bpf/helpers.c, kernel/bpf/ringbuf.c), CAP_BPF only. bpf_dynptr_from_mem's data
  // must be a map value in 6.18 (check_helper_call refuses other memory by name).
  [
    197, // dynptr_from_mem
    {
      args: ['uninit-mem', 'size-or-zero', 'anything', 'uninit-dynptr-local'],
      ret: 'integer',
      privileged: true,
    },
  ],
  [198, { args: ['map', 'anything', 'anything', 'uninit-dynptr-ringbuf'], ret: 'integer', privileged: true }], // ringbuf_reserve_dynptr
  [199, { args: ['release-dynptr-ringbuf', 'anything'], ret: 'void', privileged: true }], // ringbuf_submit_dynptr
  [200, { args: ['release-dynptr-ringbuf', 'anything'], ret: 'void', privileged: true }], // ringbuf_discard_dynptr
  [
    201, // dynptr_read
    {
      args: ['uninit-mem', 'size-or-zero', 'dynptr', 'anything', 'anything'],
      ret: 'integer',
      privileged: true,
    },
  ],
  [
    202, // dynptr_write
    { args: ['dynptr', 'anything', 'mem', 'size-or-zero', 'anything'], ret: 'integer', privileged: true },
  ],
  [203, { args: ['dynptr', 'anything', 'alloc-size-or-zero'], ret: 'dynptr-mem-or-null', privileged: true }], // dynptr_data
]);

/**
 * The table with every field present in each prototype, in one order: the verifier reads these
 * on every call, and objects of one shape keep the code that reads them monomorphic.
 */
function completed(table: readonly (readonly [number, HelperProto])[]): ReadonlyMap<number, HelperProto> {
  return new Map(
    table.map(([id, p]) => [
      id,
      {
        args: p.args,
        ret: p.ret,
        progTypes: p.progTypes,
        pktAccess: p.pktAccess ?? false,
        privileged: p.privileged ?? false,
        acquire: p.acquire ?? false,
        cast: p.cast ?? false,
      },
    ]),
  );
}
