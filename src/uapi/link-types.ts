// Link types (enum bpf_link_type).
// Values from the kernel's uapi <linux/bpf.h> (6.1 header plus the values added up to 6.18).
// Names drop the common prefix (BPF_LINK_TYPE_); the *Name() function maps a number back.

export const LinkType = {
  UNSPEC: 0,
  RAW_TRACEPOINT: 1,
  TRACING: 2,
  CGROUP: 3,
  ITER: 4,
  NETNS: 5,
  XDP: 6,
  PERF_EVENT: 7,
  KPROBE_MULTI: 8,
  STRUCT_OPS: 9,
  NETFILTER: 10,
  TCX: 11,
  UPROBE_MULTI: 12,
  NETKIT: 13,
  SOCKMAP: 14,
} as const;

export type LinkTypeName = keyof typeof LinkType;

const names = new Map<number, LinkTypeName>(Object.entries(LinkType).map(([k, v]) => [v, k as LinkTypeName]));

/** The name of a LinkType value, or undefined if unknown. */
export function linkTypeName(value: number): LinkTypeName | undefined {
  return names.get(value);
}
