// The TC side of rtnetlink (codec in rtnetlink.ts) for kernels without TCX links (before 6.6):
// the clsact qdisc that gives a device its ingress and egress filter hooks, and cls_bpf filters
// on them that run a SCHED_CLS program in direct-action mode (the program's return code is the
// verdict), as `tc filter add dev D ingress bpf da fd N` does. Values are those of uapi
// <linux/rtnetlink.h> (RTM_*, struct tcmsg, TCA_*), <linux/pkt_sched.h> (TC_H_*) and
// <linux/pkt_cls.h> (TCA_BPF_*); the test confirms them against the running kernel.

import { BpfError, TsbpfError } from '../errors.js';
import {
  attributes,
  dump,
  exchange,
  HDR,
  NLA_F_NESTED,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  request,
} from './rtnetlink.js';

const RTM_NEWQDISC = 36;
const RTM_DELQDISC = 37;
const RTM_NEWTFILTER = 44;
const RTM_DELTFILTER = 45;
const RTM_GETTFILTER = 46;

/** <linux/netlink.h> flags of NEW requests. */
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

/** struct tcmsg: family, pad, ifindex (s32), handle, parent, info (u32 each). */
const TCMSG = 20;
const TCA_KIND = 1;
const TCA_OPTIONS = 2;

/** <linux/pkt_sched.h>: clsact sits at TC_H_CLSACT (= TC_H_INGRESS) with handle ffff:0. */
const TC_H_CLSACT = 0xfffffff1;
const CLSACT_HANDLE = 0xffff0000;
/** The parents of clsact's two hooks: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / _EGRESS). */
export const TcParent = { ingress: 0xfffffff2, egress: 0xfffffff3 } as const;
export type TcDirection = keyof typeof TcParent;

/** <linux/pkt_cls.h> TCA_BPF_* attributes and the direct-action flag. */
const TCA_BPF_FD = 6;
const TCA_BPF_NAME = 7;
const TCA_BPF_FLAGS = 8;
const TCA_BPF_ID = 11;
const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** htons(ETH_P_ALL): the filter sees every protocol. */
const ETH_P_ALL_BE = 0x0300;

function tcmsg(ifindex: number, handle: number, parent: number, info: number): Uint8Array {
  const b = new Uint8Array(TCMSG);
  const v = new DataView(b.buffer);
  v.setInt32(4, ifindex, true);
  v.setUint32(8, handle >>> 0, true);
  v.setUint32(12, parent >>> 0, true);
  v.setUint32(16, info >>> 0, true);
  return b;
}

const cString = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);

function u32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  return b;
}

/** Nested attributes (type, payload), each padded to 4, as one payload. */
function nest(attrs: readonly { type: number; payload: Uint8Array }[]): Uint8Array {
  const len = attrs.reduce((n, a) => n + ((4 + a.payload.length + 3) & ~3), 0);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const a of attrs) {
    v.setUint16(at, 4 + a.payload.length, true);
    v.setUint16(at + 2, a.type, true);
    out.set(a.payload, at + 4);
    at += (4 + a.payload.length + 3) & ~3;
  }
  return out;
}

/**
 * Adds the clsact qdisc to `ifindex` if it has none: true when this call made it, false when
 * one was there (EEXIST from NLM_F_EXCL). Another root-less ingress qdisc there is EEXIST too.
 */
export function addClsact(ifindex: number, socket?: number): boolean {
  const req = request(
    RTM_NEWQDISC,
    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0),
    [{ type: TCA_KIND, payload: cString('clsact') }],
  );
  try {
    exchange(req, `RTM_NEWQDISC clsact ifindex ${ifindex}`, socket);
    return true;
  } catch (e) {
    if (e instanceof BpfError && e.errnoName === 'EEXIST') return false;
    throw e;
  }
}

/** Removes the clsact qdisc of `ifindex` (and every filter on it). */
export function deleteClsact(ifindex: number, socket?: number): void {
  const req = request(
    RTM_DELQDISC,
    NLM_F_REQUEST | NLM_F_ACK,
    tcmsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0),
    [{ type: TCA_KIND, payload: cString('clsact') }],
  );
  exchange(req, `RTM_DELQDISC clsact ifindex ${ifindex}`, socket);
}

/** Where one cls_bpf filter is: device, hook, priority (1..65535) and handle. */
export interface TcFilterPlace {
  readonly ifindex: number;
  readonly direction: TcDirection;
  readonly priority: number;
  readonly handle: number;
}

/** tcm_info of a filter: TC_H_MAKE(priority << 16, protocol). */
const filterInfo = (priority: number): number => ((priority << 16) | ETH_P_ALL_BE) >>> 0;

function checkPlace(p: TcFilterPlace): void {
  if (!Number.isInteger(p.priority) || p.priority < 1 || p.priority > 0xffff)
    throw new TsbpfError('INVALID_ARGUMENT', `TC filter priority ${p.priority} is not in 1..65535`);
  if (!Number.isInteger(p.handle) || p.handle < 1 || p.handle > 0xffffffff)
    throw new TsbpfError('INVALID_ARGUMENT', `TC filter handle ${p.handle} is not a positive u32`);
  if (TcParent[p.direction] === undefined)
    throw new TsbpfError('INVALID_ARGUMENT', `TC direction must be 'ingress' or 'egress'`);
}

const where = (p: TcFilterPlace) =>
  `ifindex ${p.ifindex} ${p.direction} prio ${p.priority} handle ${p.handle}`;

/**
 * Puts a direct-action cls_bpf filter running `progFd` at `place`: a new one only where none is
 * (NLM_F_EXCL: EEXIST otherwise), or with `replace` the one there (NLM_F_REPLACE; ENOENT when
 * none is). `name` is what `tc filter show` prints for it.
 */
export function setBpfFilter(
  place: TcFilterPlace,
  progFd: number,
  name: string,
  replace: boolean,
  socket?: number,
): void {
  checkPlace(place);
  const options = nest([
    { type: TCA_BPF_FD, payload: u32(progFd) },
    { type: TCA_BPF_NAME, payload: cString(name) },
    { type: TCA_BPF_FLAGS, payload: u32(TCA_BPF_FLAG_ACT_DIRECT) },
  ]);
  const flags = NLM_F_REQUEST | NLM_F_ACK | (replace ? NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL);
  const req = request(
    RTM_NEWTFILTER,
    flags,
    tcmsg(place.ifindex, place.handle, TcParent[place.direction], filterInfo(place.priority)),
    [
      { type: TCA_KIND, payload: cString('bpf') },
      { type: TCA_OPTIONS | NLA_F_NESTED, payload: options },
    ],
  );
  exchange(req, `RTM_NEWTFILTER bpf ${where(place)}`, socket);
}

/** Deletes the filter at `place` (ENOENT when none is). */
export function deleteBpfFilter(place: TcFilterPlace, socket?: number): void {
  checkPlace(place);
  const req = request(
    RTM_DELTFILTER,
    NLM_F_REQUEST | NLM_F_ACK,
    tcmsg(place.ifindex, place.handle, TcParent[place.direction], filterInfo(place.priority)),
    [{ type: TCA_KIND, payload: cString('bpf') }],
  );
  exchange(req, `RTM_DELTFILTER bpf ${where(place)}`, socket);
}

/** One filter on a clsact hook, as a dump reports it. */
export interface TcFilter {
  readonly priority: number;
  readonly handle: number;
  readonly kind: string;
  /** The program of a cls_bpf filter (TCA_BPF_ID), else 0. */
  readonly programId: number;
}

/**
 * The filters on `direction` of `ifindex` (RTM_GETTFILTER dump). Each priority's classifier
 * also reports itself once with handle 0 and no options: those entries are left out. A device
 * without clsact answers EINVAL.
 */
export function tcFilters(ifindex: number, direction: TcDirection, socket?: number): TcFilter[] {
  const req = request(RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_DUMP, tcmsg(ifindex, 0, TcParent[direction], 0));
  const out: TcFilter[] = [];
  for (const m of dump(req, `RTM_GETTFILTER ifindex ${ifindex} ${direction}`, socket)) {
    if (m.type !== RTM_NEWTFILTER) continue;
    const v = m.view;
    const handle = v.getUint32(HDR + 8, true);
    if (handle === 0) continue;
    const a = attributes(v, HDR + TCMSG, v.byteLength);
    const kindView = a.get(TCA_KIND);
    const kind =
      kindView === undefined
        ? ''
        : new TextDecoder()
            .decode(new Uint8Array(kindView.buffer, kindView.byteOffset, kindView.byteLength))
            .replace(/\0.*$/s, '');
    const opts = a.get(TCA_OPTIONS);
    const programId =
      kind === 'bpf' && opts !== undefined
        ? (attributes(opts, 0, opts.byteLength).get(TCA_BPF_ID)?.getUint32(0, true) ?? 0)
        : 0;
    out.push({ priority: v.getUint32(HDR + 16, true) >>> 16, handle, kind, programId });
  }
  return out;
}
