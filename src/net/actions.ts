// XDP and TC verdicts by name (include/uapi/linux/bpf.h enum xdp_action, include/uapi/linux/
// pkt_cls.h TC_ACT_*), and the per-action counters a device keeps.

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

/** The verdicts in enum order; a return value past the end is an invalid action. */
export const XDP_ACTION_NAMES = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'] as const;
export type XdpActionName = (typeof XDP_ACTION_NAMES)[number];

/** The name of an XDP return value, or INVALID(n). */
export function xdpActionName(action: number): string {
  return XDP_ACTION_NAMES[action] ?? `INVALID(${action})`;
}

export const TC_ACT_UNSPEC = -1;
export const TC_ACT_OK = 0;
export const TC_ACT_RECLASSIFY = 1;
export const TC_ACT_SHOT = 2;
export const TC_ACT_STOLEN = 4;
export const TC_ACT_QUEUED = 5;
export const TC_ACT_REDIRECT = 7;
export const TC_ACT_TRAP = 8;

/** What a TC hook did with an skb (tcx_run / sch_handle_ingress's switch, direct action). */
export type TcOutcome = 'pass' | 'drop' | 'consumed' | 'redirect';

/** The kernel's reading of a TC program's r0 (unknown values continue as TC_ACT_OK does). */
export function tcOutcome(r0: number): TcOutcome {
  switch (r0 | 0) {
    case TC_ACT_SHOT:
      return 'drop';
    case TC_ACT_STOLEN:
    case TC_ACT_QUEUED:
    case TC_ACT_TRAP:
      return 'consumed';
    case TC_ACT_REDIRECT:
      return 'redirect';
    default:
      return 'pass';
  }
}
