// Program contexts as data: the layouts of `struct xdp_md` and `struct __sk_buff` (uapi
// <linux/bpf.h>) and which fields each program type may read or write, as the kernel's
// *_is_valid_access() functions decide (net/core/filter.c: xdp_is_valid_access,
// sk_filter_is_valid_access, tc_cls_act_is_valid_access, bpf_skb_is_valid_access).
// No memory or values here; runtime/context/ builds the structs.

import type { AttachTypeName } from './attach-types.js';
import type { ProgTypeName } from './prog-types.js';

export interface CtxField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

const fields = (list: readonly [string, number, number][]): readonly CtxField[] =>
  Object.freeze(list.map(([name, offset, size]) => Object.freeze({ name, offset, size })));

/** struct xdp_md: six u32 fields, 24 bytes. */
export const XDP_MD = fields([
  ['data', 0, 4],
  ['data_end', 4, 4],
  ['data_meta', 8, 4],
  ['ingress_ifindex', 12, 4],
  ['rx_queue_index', 16, 4],
  ['egress_ifindex', 20, 4],
]);
export const XDP_MD_SIZE = 24;

/** struct __sk_buff, 192 bytes; pointer fields (__bpf_md_ptr) take 8 bytes. */
export const SK_BUFF = fields([
  ['len', 0, 4],
  ['pkt_type', 4, 4],
  ['mark', 8, 4],
  ['queue_mapping', 12, 4],
  ['protocol', 16, 4],
  ['vlan_present', 20, 4],
  ['vlan_tci', 24, 4],
  ['vlan_proto', 28, 4],
  ['priority', 32, 4],
  ['ingress_ifindex', 36, 4],
  ['ifindex', 40, 4],
  ['tc_index', 44, 4],
  ['cb', 48, 20],
  ['hash', 68, 4],
  ['tc_classid', 72, 4],
  ['data', 76, 4],
  ['data_end', 80, 4],
  ['napi_id', 84, 4],
  ['family', 88, 4],
  ['remote_ip4', 92, 4],
  ['local_ip4', 96, 4],
  ['remote_ip6', 100, 16],
  ['local_ip6', 116, 16],
  ['remote_port', 132, 4],
  ['local_port', 136, 4],
  ['data_meta', 140, 4],
  ['flow_keys', 144, 8],
  ['tstamp', 152, 8],
  ['wire_len', 160, 4],
  ['gso_segs', 164, 4],
  ['sk', 168, 8],
  ['gso_size', 176, 4],
  ['tstamp_type', 180, 1],
  ['(padding)', 181, 3],
  ['hwtstamp', 184, 8],
]);
export const SK_BUFF_SIZE = 192;

/** Byte offsets of the fields the runtime fills, for readable code (uapi names). */
export const XdpMd = Object.freeze(Object.fromEntries(XDP_MD.map((f) => [f.name, f.offset]))) as Readonly<
  Record<string, number>
>;
export const SkBuff = Object.freeze(Object.fromEntries(SK_BUFF.map((f) => [f.name, f.offset]))) as Readonly<
  Record<string, number>
>;

export type CtxKind = 'xdp_md' | '__sk_buff';

/** The context struct a program type gets, for the types tsbpf can run. */
export function ctxKind(type: ProgTypeName): CtxKind | undefined {
  switch (type) {
    case 'XDP':
      return 'xdp_md';
    case 'SOCKET_FILTER':
    case 'SCHED_CLS':
    case 'SCHED_ACT':
    case 'CGROUP_SKB':
      return '__sk_buff';
    default:
      return undefined;
  }
}

export function ctxSize(kind: CtxKind): number {
  return kind === 'xdp_md' ? XDP_MD_SIZE : SK_BUFF_SIZE;
}

/** The field at byte `off` of the struct, or undefined past its end. */
export function ctxFieldAt(kind: CtxKind, off: number): CtxField | undefined {
  const list = kind === 'xdp_md' ? XDP_MD : SK_BUFF;
  return list.find((f) => off >= f.offset && off < f.offset + f.size);
}

/** Describes an access for messages: `__sk_buff.mark (+8, 4 bytes)`. */
export function describeCtxAccess(kind: CtxKind, off: number, size: number): string {
  const f = ctxFieldAt(kind, off);
  const name = f === undefined ? '(outside)' : f.name === 'cb' ? `cb[${(off - 48) >> 2}]` : f.name;
  return `${kind}.${name} (+${off}, ${size} bytes)`;
}

const TC_WRITABLE = new Set(['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping']);
const SOCKET_UNREADABLE = new Set([
  'tc_classid',
  'data',
  'data_meta',
  'data_end',
  'tstamp',
  'wire_len',
  'hwtstamp',
]);
const CGROUP_UNREADABLE = new Set(['tc_classid', 'data_meta', 'wire_len']);
const CGROUP_WRITABLE = new Set(['mark', 'priority', 'cb', 'tstamp']);
/** Addresses read whole (bpf_skb_is_valid_access: size_default). */
const IP_FIELDS = new Set(['remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6']);
const SK_ONLY = new Set([
  'family',
  'remote_ip4',
  'local_ip4',
  'remote_ip6',
  'local_ip6',
  'remote_port',
  'local_port',
]);

/**
 * Whether program `type` may access `size` bytes at `off` of its context: undefined when it
 * may, else why not (the kernel's verifier says "invalid bpf_context access" for all of them).
 */
export function ctxAccessProblem(
  type: ProgTypeName,
  off: number,
  size: number,
  write: boolean,
  attachType?: AttachTypeName,
  privileged = true,
): string | undefined {
  const kind = ctxKind(type);
  if (kind === undefined) return `program type ${type} has no context tsbpf knows`;
  if (off < 0 || off + size > ctxSize(kind)) return 'outside the context';
  if (off % size !== 0) return 'misaligned';
  const f = ctxFieldAt(kind, off)!;
  if (kind === 'xdp_md') {
    // xdp_is_valid_access: read only, whole u32 fields; egress_ifindex for devmap programs only.
    if (write) return 'XDP programs may not write xdp_md';
    if (size !== 4) return 'xdp_md fields are read as whole u32';
    if (f.name === 'egress_ifindex' && attachType !== 'XDP_DEVMAP')
      return 'egress_ifindex is for BPF_XDP_DEVMAP programs only';
    return undefined;
  }
  const cgroup = type === 'CGROUP_SKB';
  if (SK_ONLY.has(f.name) && !cgroup) return `${f.name} is for sk_skb and cgroup skb programs only`;
  if (f.name === 'flow_keys') return 'flow_keys is for flow dissector programs only';
  if (f.name === '(padding)') return 'padding';
  const socket = type === 'SOCKET_FILTER';
  if (socket && SOCKET_UNREADABLE.has(f.name)) return `socket filters may not access ${f.name}`;
  if (cgroup) {
    // cg_skb_is_valid_access: no tc_classid, data_meta, wire_len; the packet and writing
    // tstamp need CAP_BPF; writes to mark, priority, cb[] (and tstamp) only.
    if (CGROUP_UNREADABLE.has(f.name)) return `cgroup skb programs may not access ${f.name}`;
    if (!privileged && (f.name === 'data' || f.name === 'data_end' || (write && f.name === 'tstamp')))
      return `${f.name} needs CAP_BPF`;
    if (write && !CGROUP_WRITABLE.has(f.name)) return `${f.name} is read-only`;
    if (f.name === 'tstamp_type') return 'cgroup skb programs may not access tstamp_type';
    if (IP_FIELDS.has(f.name)) return size === 4 ? undefined : `${f.name} is read as a whole u32`;
  }
  if (write && !(socket ? f.name === 'cb' : cgroup || TC_WRITABLE.has(f.name)))
    return `${f.name} is read-only`;
  switch (f.name) {
    case 'cb':
      return off + size > 68 ? 'crosses the end of cb[]' : undefined;
    case 'data':
    case 'data_end':
    case 'data_meta':
      return size === 4 ? undefined : `${f.name} is read as a whole u32`;
    case 'tstamp':
    case 'hwtstamp':
      if (write && f.name === 'hwtstamp') return 'hwtstamp is read-only';
      return size === 8 ? undefined : `${f.name} is accessed as a whole u64`;
    case 'sk':
      if (write) return 'sk is read-only';
      return size === 8 ? undefined : 'sk is read as a whole u64';
    case 'tstamp_type':
      if (socket) return 'socket filters may not access tstamp_type';
      return size === 1 ? undefined : 'tstamp_type is read as a u8';
    default:
      // bpf_skb_is_valid_access: writes whole u32 only; narrow reads within the u32.
      if (write) return size === 4 ? undefined : `${f.name} is written as a whole u32`;
      return size <= 4 ? undefined : `${f.name} is a u32`;
  }
}
