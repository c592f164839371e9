// libbpf's ELF section-name conventions: which program type, expected attach type and load flags
// a SEC("...") name stands for. Facts (names, order, matching rules) from libbpf's `section_defs`
// table in src/libbpf.c (libbpf 1.5); the matching is first-match in table order, as libbpf's is.
// This is the table only; reading sections out of an object is elf/'s job.

import type { AttachTypeName } from './attach-types.js';
import type { ProgTypeName } from './prog-types.js';

/** Program load flags a section implies (uapi BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

export interface SectionDef {
  /**
   * The pattern as libbpf spells it: `name` matches exactly, `name+` matches `name` or
   * `name/anything`, `name/` matches only `name/anything`.
   */
  readonly pattern: string;
  readonly progType: ProgTypeName;
  /** Absent where libbpf gives 0 meaning "none". */
  readonly attachType?: AttachTypeName;
  /** Program load flags (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
  readonly flags: number;
}

const S = BPF_F_SLEEPABLE;
const FRAGS = BPF_F_XDP_HAS_FRAGS;

function def(pattern: string, progType: ProgTypeName, attachType?: AttachTypeName, flags = 0): SectionDef {
  return attachType === undefined ? { pattern, progType, flags } : { pattern, progType, attachType, flags };
}

/** libbpf's section table, in libbpf's order (first match wins). */
export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', 'SOCKET_FILTER'),
  def('sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  def('sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT'),
  def('kprobe+', 'KPROBE'),
  def('uprobe+', 'KPROBE'),
  def('uprobe.s+', 'KPROBE', undefined, S),
  def('kretprobe+', 'KPROBE'),
  def('uretprobe+', 'KPROBE'),
  def('uretprobe.s+', 'KPROBE', undefined, S),
  def('kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  def('kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  def('uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  def('uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  def('uprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  def('uretprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  def('ksyscall+', 'KPROBE'),
  def('kretsyscall+', 'KPROBE'),
  def('usdt+', 'KPROBE'),
  def('usdt.s+', 'KPROBE', undefined, S),
  def('tc/ingress', 'SCHED_CLS', 'TCX_INGRESS'), // alias for tcx
  def('tc/egress', 'SCHED_CLS', 'TCX_EGRESS'), // alias for tcx
  def('tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  def('tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  def('tc', 'SCHED_CLS'), // legacy tc (cls_bpf)
  def('classifier', 'SCHED_CLS'),
  def('action', 'SCHED_ACT'),
  def('netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY'),
  def('netkit/peer', 'SCHED_CLS', 'NETKIT_PEER'),
  def('tracepoint+', 'TRACEPOINT'),
  def('tp+', 'TRACEPOINT'),
  def('raw_tracepoint+', 'RAW_TRACEPOINT'),
  def('raw_tp+', 'RAW_TRACEPOINT'),
  def('raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE'),
  def('raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE'),
  def('tp_btf+', 'TRACING', 'TRACE_RAW_TP'),
  def('fentry+', 'TRACING', 'TRACE_FENTRY'),
  def('fmod_ret+', 'TRACING', 'MODIFY_RETURN'),
  def('fexit+', 'TRACING', 'TRACE_FEXIT'),
  def('fentry.s+', 'TRACING', 'TRACE_FENTRY', S),
  def('fmod_ret.s+', 'TRACING', 'MODIFY_RETURN', S),
  def('fexit.s+', 'TRACING', 'TRACE_FEXIT', S),
  def('freplace+', 'EXT'),
  def('lsm+', 'LSM', 'LSM_MAC'),
  def('lsm.s+', 'LSM', 'LSM_MAC', S),
  def('lsm_cgroup+', 'LSM', 'LSM_CGROUP'),
  def('iter+', 'TRACING', 'TRACE_ITER'),
  def('iter.s+', 'TRACING', 'TRACE_ITER', S),
  def('syscall', 'SYSCALL', undefined, S),
  def('xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', FRAGS),
  def('xdp/devmap', 'XDP', 'XDP_DEVMAP'),
  def('xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', FRAGS),
  def('xdp/cpumap', 'XDP', 'XDP_CPUMAP'),
  def('xdp.frags', 'XDP', 'XDP', FRAGS),
  def('xdp', 'XDP', 'XDP'),
  def('perf_event', 'PERF_EVENT'),
  def('lwt_in', 'LWT_IN'),
  def('lwt_out', 'LWT_OUT'),
  def('lwt_xmit', 'LWT_XMIT'),
  def('lwt_seg6local', 'LWT_SEG6LOCAL'),
  def('sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS'),
  def('sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER'),
  def('sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT'),
  def('sk_skb', 'SK_SKB'),
  def('sk_msg', 'SK_MSG', 'SK_MSG_VERDICT'),
  def('lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2'),
  def('flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR'),
  def('cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS'),
  def('cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS'),
  def('cgroup/skb', 'CGROUP_SKB'),
  def('cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  def('cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE'),
  def('cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  def('cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'),
  def('cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND'),
  def('cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND'),
  def('cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND'),
  def('cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT'),
  def('cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'),
  def('cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT'),
  def('cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG'),
  def('cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG'),
  def('cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG'),
  def('cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG'),
  def('cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG'),
  def('cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG'),
  def('cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME'),
  def('cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME'),
  def('cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME'),
  def('cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME'),
  def('cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME'),
  def('cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME'),
  def('cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL'),
  def('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT'),
  def('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT'),
  def('cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE'),
  def('struct_ops+', 'STRUCT_OPS'),
  def('struct_ops.s+', 'STRUCT_OPS', undefined, S),
  def('sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP'),
  def('netfilter', 'NETFILTER', 'NETFILTER'),
];

/** True if `section` matches libbpf pattern `pattern` (libbpf's sec_def_matches rules). */
export function sectionMatches(pattern: string, section: string): boolean {
  if (pattern.endsWith('/')) return section.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const base = pattern.slice(0, -1);
    return section === base || section.startsWith(`${base}/`);
  }
  return section === pattern;
}

export interface SectionMatch {
  readonly def: SectionDef;
  /** What follows `prefix/` in `prefix+` sections (`kprobe/do_unlinkat` -> `do_unlinkat`), if anything. */
  readonly target?: string;
}

/** The first table entry the section name matches, as libbpf's find_sec_def picks it; undefined if none. */
export function findSectionDef(section: string): SectionMatch | undefined {
  for (const d of SECTION_DEFS) {
    if (!sectionMatches(d.pattern, section)) continue;
    if (d.pattern.endsWith('+') && section.length > d.pattern.length) {
      return { def: d, target: section.slice(d.pattern.length) };
    }
    return { def: d };
  }
  return undefined;
}
