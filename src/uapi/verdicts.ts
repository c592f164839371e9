// Names of program return values by program type: XDP actions (enum xdp_action) and TC
// actions (TC_ACT_* of <linux/pkt_cls.h>); a socket filter returns the bytes to keep, a cgroup
// skb program whether the packet passes.

import type { ProgTypeName } from './prog-types.js';

export const XdpAction = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 } as const;

export const TcAction = {
  TC_ACT_UNSPEC: -1,
  TC_ACT_OK: 0,
  TC_ACT_RECLASSIFY: 1,
  TC_ACT_SHOT: 2,
  TC_ACT_PIPE: 3,
  TC_ACT_STOLEN: 4,
  TC_ACT_QUEUED: 5,
  TC_ACT_REPEAT: 6,
  TC_ACT_REDIRECT: 7,
  TC_ACT_TRAP: 8,
} as const;

function nameIn(table: Record<string, number>, value: number): string | undefined {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return undefined;
}

/** The conventional name of a program's return value, e.g. `XDP_DROP`, `TC_ACT_OK`, `keep 64 bytes`. */
export function verdictName(type: ProgTypeName, retval: number): string {
  const signed = retval | 0;
  switch (type) {
    case 'XDP':
      return nameIn(XdpAction, retval >>> 0) ?? `unknown XDP action ${retval >>> 0}`;
    case 'SCHED_CLS':
    case 'SCHED_ACT':
      return nameIn(TcAction, signed) ?? `unknown TC action ${signed}`;
    case 'SOCKET_FILTER':
      return retval === 0 ? 'drop' : `keep ${retval >>> 0} bytes`;
    case 'CGROUP_SKB': {
      // Bit 0 allows the packet; bit 1 (egress only) asks for congestion notification
      // (__cgroup_bpf_run_filter_skb: NET_XMIT_CN). The verifier holds the value to [0, 3].
      if (retval >>> 0 > 3) return String(retval >>> 0);
      const allow = retval & 1 ? 'allow' : 'drop';
      return retval & 2 ? `${allow}, congestion notified` : allow;
    }
    default:
      return String(retval >>> 0);
  }
}
