// What the data path reads from XDP and TC verdicts (the values are uapi/verdicts.ts's): the XDP
// action names a device counts under, and the kernel's reading of a TC program's r0.

import { TcAction, XdpAction } from '../uapi/verdicts.js';

export const { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT } = XdpAction;

/** The verdicts in enum order without the XDP_ prefix (the counters' keys); later values are invalid. */
export const XDP_ACTION_NAMES = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'] as const;
export type XdpActionName = (typeof XDP_ACTION_NAMES)[number];

/** What a TC hook did with an skb (tcx_run / sch_handle_ingress's switch, direct action). */
export type TcOutcome = 'pass' | 'drop' | 'consumed' | 'redirect';

/** The kernel's reading of a TC program's r0 (unknown values continue as TC_ACT_OK does). */
export function tcOutcome(r0: number): TcOutcome {
  switch (r0 | 0) {
    case TcAction.TC_ACT_SHOT:
      return 'drop';
    case TcAction.TC_ACT_STOLEN:
    case TcAction.TC_ACT_QUEUED:
    case TcAction.TC_ACT_TRAP:
      return 'consumed';
    case TcAction.TC_ACT_REDIRECT:
      return 'redirect';
    default:
      return 'pass';
  }
}
