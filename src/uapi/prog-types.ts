// Program types (enum bpf_prog_type): what a program is and which context it gets.
// Values from the kernel's uapi <linux/bpf.h> (6.1 header plus the values added up to 6.18).
// Names drop the common prefix (BPF_PROG_TYPE_); the *Name() function maps a number back.

export const ProgType = {
  UNSPEC: 0,
  SOCKET_FILTER: 1,
  KPROBE: 2,
  SCHED_CLS: 3,
  SCHED_ACT: 4,
  TRACEPOINT: 5,
  XDP: 6,
  PERF_EVENT: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
  SOCK_OPS: 13,
  SK_SKB: 14,
  CGROUP_DEVICE: 15,
  SK_MSG: 16,
  RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20,
  SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22,
  CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25,
  TRACING: 26,
  STRUCT_OPS: 27,
  EXT: 28,
  LSM: 29,
  SK_LOOKUP: 30,
  SYSCALL: 31,
  NETFILTER: 32,
} as const;

export type ProgTypeName = keyof typeof ProgType;

const names = new Map<number, ProgTypeName>(Object.entries(ProgType).map(([k, v]) => [v, k as ProgTypeName]));

/** The name of a ProgType value, or undefined if unknown. */
export function progTypeName(value: number): ProgTypeName | undefined {
  return names.get(value);
}
