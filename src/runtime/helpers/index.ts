// The runtime's helper table: every implemented helper by id, gathered from the group files
// (maps, tail calls, time, redirect, XDP, skb, trace). A new group is a new file whose list is
// added to GROUPS; prototypes and program-type rules are in spec/helper-protos.ts.

import { mapHelpers } from './maps.js';
import { redirectHelpers } from './redirect.js';
import { skbHelpers } from './skb.js';
import { tailCallHelpers } from './tail-call.js';
import { timeHelpers } from './time.js';
import { traceHelpers } from './trace.js';
import type { HelperImpl, RuntimeHelperFn } from './types.js';
import { xdpHelpers } from './xdp.js';

const GROUPS: readonly (readonly HelperImpl[])[] = [
  mapHelpers,
  tailCallHelpers,
  timeHelpers,
  redirectHelpers,
  xdpHelpers,
  skbHelpers,
  traceHelpers,
];

function build(): ReadonlyMap<number, RuntimeHelperFn> {
  const table = new Map<number, RuntimeHelperFn>();
  for (const group of GROUPS) {
    for (const h of group) {
      if (table.has(h.id)) throw new Error(`helper #${h.id} implemented twice`);
      table.set(h.id, h.fn);
    }
  }
  return table;
}

/** Implemented helpers by id (enum bpf_func_id). */
export const RUNTIME_HELPERS: ReadonlyMap<number, RuntimeHelperFn> = build();

export { formatPrintk } from './printk-format.js';
export { MAX_TAIL_CALL_CNT } from './tail-call.js';
export type { HelperImpl, RuntimeHelperFn } from './types.js';
