// The runtime's helper table: every implemented helper by id, gathered from the group files
// (maps, tail calls, time, redirect, XDP, skb, checksums, VLAN, skb room, flow hash, FIB,
// callbacks, ring buffer, perf event output, spin locks, trace, MTU, ECN, sockets, tunnel metadata,
// SYN cookies, dynptrs). A new group is a new file whose list is
// added to GROUPS; prototypes and program-type rules are in spec/helper-protos.ts.

import { callbackHelpers } from './callbacks.js';
import { checksumHelpers } from './checksum.js';
import { dynptrHelpers } from './dynptr.js';
import { ecnHelpers } from './ecn.js';
import { fibHelpers } from './fib.js';
import { mapHelpers } from './maps.js';
import { mtuHelpers } from './mtu.js';
import { perfHelpers } from './perf.js';
import { redirectHelpers } from './redirect.js';
import { ringbufHelpers } from './ringbuf.js';
import { skbHelpers } from './skb.js';
import { hashHelpers } from './skb-hash.js';
import { roomHelpers } from './skb-room.js';
import { vlanHelpers } from './skb-vlan.js';
import { sockHelpers } from './sock.js';
import { spinLockHelpers } from './spin-lock.js';
import { syncookieHelpers } from './syncookie.js';
import { tailCallHelpers } from './tail-call.js';
import { timeHelpers } from './time.js';
import { traceHelpers } from './trace.js';
import { tunnelHelpers } from './tunnel.js';
import type { HelperImpl, RuntimeHelperFn } from './types.js';
import { xdpHelpers } from './xdp.js';

const GROUPS: readonly (readonly HelperImpl[])[] = [
  mapHelpers,
  tailCallHelpers,
  timeHelpers,
  redirectHelpers,
  xdpHelpers,
  skbHelpers,
  checksumHelpers,
  vlanHelpers,
  roomHelpers,
  hashHelpers,
  fibHelpers,
  callbackHelpers,
  ringbufHelpers,
  perfHelpers,
  spinLockHelpers,
  traceHelpers,
  mtuHelpers,
  ecnHelpers,
  sockHelpers,
  tunnelHelpers,
  syncookieHelpers,
  dynptrHelpers,
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

export { BPF_MAX_LOOPS } from './callbacks.js';
export { BPF_FIB_LKUP_RET, parseAddress } from './fib.js';
export { RUNTIME_KFUNCS } from './kfuncs.js';
export { formatPrintk } from './printk-format.js';
export { BPF_SKB_MAX_LEN } from './skb-room.js';
export { MAX_TAIL_CALL_CNT } from './tail-call.js';
export type { HelperImpl, RuntimeHelperFn } from './types.js';
