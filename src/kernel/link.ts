// bpf links that attach programs to network devices: XDP (BPF_LINK_CREATE with attach type
// BPF_XDP and the native/generic mode in flags) and TCX ingress/egress (BPF_TCX_INGRESS/EGRESS).
// A link holds the attachment while its fd is open: close() releases it, detach() (BPF_LINK_DETACH)
// takes the program off the device while the fd stays valid. The device is named by ifindex in
// the network namespace of the calling thread (run inside Netns.run for a namespace's veth).
// update() swaps the program of a live link atomically (BPF_LINK_UPDATE); TCX links take an
// order (before/after another link or program) and tcxChain() lists a hook's programs in order.
// attachXdp refuses to replace a libxdp multi-program dispatcher found on the device. XDP also
// attaches the legacy netlink way (xdp-netlink-attachment.ts), chosen by attachXdp's `via`, and
// TC as a cls_bpf filter (tc-netlink-attachment.ts), chosen by attachTcx's `via`.

import { assertNever, BpfError, NotSupportedError, TsbpfError } from '../errors.js';
import {
  AttachType,
  type AttachTypeName,
  attachTypeName,
  BpfCmd,
  type LinkTypeName,
  linkTypeName,
} from '../uapi/index.js';
import { Attr } from './attr.js';
import { BpfObjectHandle } from './bpf-object.js';
import { haveTcxLinks, haveXdpLinks } from './features.js';
import { XdpFlags } from './netlink-xdp.js';
import { objectInfo } from './object-info.js';
import { pinned } from './syscall.js';
import { attachTcNetlink, type NetlinkTcAttachment, type TcFilterOptions } from './tc-netlink-attachment.js';
import { refuseDispatcher } from './xdp-dispatcher.js';
import { attachXdpNetlink, type NetlinkXdpAttachment } from './xdp-netlink-attachment.js';

/** union bpf_attr, the link_create struct (uapi <linux/bpf.h>). */
const LinkCreate = {
  prog_fd: 0,
  target_ifindex: 4,
  attach_type: 8,
  flags: 12,
  relative_fd: 16, // tcx
  expected_revision: 24, // tcx, u64
} as const;

/** BPF_LINK_DETACH: only the link fd. */
const LinkDetach = { link_fd: 0 } as const;

/** union bpf_attr, the link_update struct. */
const LinkUpdate = { link_fd: 0, new_prog_fd: 4, flags: 8, old_prog_fd: 12 } as const;

/** union bpf_attr, the BPF_PROG_QUERY struct (6.6+ layout with link_ids and revision). */
const ProgQuery = {
  target_ifindex: 0,
  attach_type: 4,
  prog_ids: 16,
  count: 24,
  link_ids: 40,
  revision: 56,
} as const;

/** Attach flags of uapi <linux/bpf.h> (the mprog ones since 6.6). */
const BPF_F_REPLACE = 1 << 2;
const BPF_F_BEFORE = 1 << 3;
const BPF_F_AFTER = 1 << 4;
const BPF_F_ID = 1 << 5;
const BPF_F_LINK = 1 << 13;

/** struct bpf_link_info: type, id, prog_id, then per type (xdp: ifindex; tcx: ifindex, attach_type). */
const LinkInfo = { type: 0, id: 4, prog_id: 8, ifindex: 16, attach_type: 20, size: 64 } as const;

/** include/uapi/linux/if_link.h XDP_FLAGS_*: the attach mode. */
export const XdpMode = { auto: 0, generic: XdpFlags.skbMode, native: XdpFlags.drvMode } as const;
export type XdpModeName = keyof typeof XdpMode;

/** Anything with a loaded program's fd (KernelProgram, a collection's program). */
export interface ProgramFd {
  readonly fd: number;
}

export interface LinkInfoView {
  readonly type: LinkTypeName | `unknown ${number}`;
  readonly id: number;
  readonly progId: number;
  readonly ifindex: number;
  /** TCX links: TCX_INGRESS or TCX_EGRESS. */
  readonly attachType?: AttachTypeName | `unknown ${number}`;
}

export class KernelLink extends BpfObjectHandle {
  /** Tells a link from a netlink XDP attachment (XdpAttachment). */
  readonly kind = 'bpf-link' as const;
  protected readonly what: string;

  /** @internal use attachXdp() / attachTcx(). */
  constructor(fd: number, what: string) {
    super(fd);
    this.what = what;
  }

  /** BPF_LINK_DETACH: the program leaves the device now; the link fd stays until close(). */
  detach(): void {
    new Attr().u32(LinkDetach.link_fd, this.fd).call(BpfCmd.LINK_DETACH);
  }

  /**
   * BPF_LINK_UPDATE: the link runs `program` from now on, with no moment where none runs
   * (the kernel swaps the pointer). With `expected`, the swap happens only if the link still
   * runs that program (BPF_F_REPLACE), else EPERM.
   */
  update(program: ProgramFd, expected?: ProgramFd): void {
    const attr = new Attr().u32(LinkUpdate.link_fd, this.fd).u32(LinkUpdate.new_prog_fd, program.fd);
    if (expected !== undefined)
      attr.u32(LinkUpdate.flags, BPF_F_REPLACE).u32(LinkUpdate.old_prog_fd, expected.fd);
    attr.call(BpfCmd.LINK_UPDATE);
  }

  get id(): number {
    return this.info().id;
  }

  /** What the kernel says of the link (BPF_OBJ_GET_INFO_BY_FD); ifindex 0 once detached. */
  info(): LinkInfoView {
    const v = objectInfo(this.fd, LinkInfo.size);
    const t = v.getUint32(LinkInfo.type, true);
    const type = linkTypeName(t) ?? `unknown ${t}`;
    const base = {
      type,
      id: v.getUint32(LinkInfo.id, true),
      progId: v.getUint32(LinkInfo.prog_id, true),
      ifindex: v.getUint32(LinkInfo.ifindex, true),
    };
    if (type !== 'TCX') return base;
    const a = v.getUint32(LinkInfo.attach_type, true);
    return { ...base, attachType: attachTypeName(a) ?? `unknown ${a}` };
  }
}

/** Where a TCX program goes relative to another: a link or program we hold, or one by kernel id. */
export type TcxAnchor = KernelLink | ProgramFd | { readonly linkId: number } | { readonly programId: number };

/** The place of a new TCX link: before/after an anchor, or before/after 'all' (first/last). */
export interface TcxOrder {
  readonly before?: TcxAnchor | 'all';
  readonly after?: TcxAnchor | 'all';
  /** Attach only if the hook's revision (tcxChain().revision) is still this one, else ESTALE. */
  readonly expectedRevision?: bigint;
}

/** One program of a TCX hook, in run order. */
export interface TcxEntry {
  readonly programId: number;
  /** 0 for a program attached without a link (BPF_PROG_ATTACH). */
  readonly linkId: number;
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fffffff)
    throw new TsbpfError('INVALID_ARGUMENT', `ifindex ${ifindex} is not a positive 32-bit integer`);
}

/**
 * How an XDP program attaches: a bpf link (a kernel object, pinnable, Linux 5.9+), the legacy
 * netlink way (no object: cannot be pinned, outlives the process), or 'auto': a link where the
 * kernel makes XDP links (haveXdpLinks), else netlink.
 */
export type XdpAttachVia = 'auto' | 'bpf-link' | 'netlink';

export interface XdpAttachOptions {
  /** Default 'auto': the kernel picks (native where the driver has it). */
  readonly mode?: XdpModeName;
  /** Default 'auto'. */
  readonly via?: XdpAttachVia;
}

/** An XDP attachment of either kind; both update, detach, close and tell their info(). */
export type XdpAttachment = KernelLink | NetlinkXdpAttachment;

/**
 * Attaches an XDP program to the device `ifindex`. With a mode (or nothing), as a bpf link;
 * with options, as they say (`via`), returning either kind. The netlink kind attaches only
 * where no program runs (EBUSY), and close() detaches only the program it attached.
 */
export function attachXdp(program: ProgramFd, ifindex: number, mode?: XdpModeName): KernelLink;
export function attachXdp(program: ProgramFd, ifindex: number, options: XdpAttachOptions): XdpAttachment;
export function attachXdp(
  program: ProgramFd,
  ifindex: number,
  how: XdpModeName | XdpAttachOptions = 'auto',
): XdpAttachment {
  checkIfindex(ifindex);
  const { mode = 'auto', via = 'auto' } =
    typeof how === 'string' ? { via: 'bpf-link' as const, mode: how } : how;
  const flags = XdpMode[mode];
  if (flags === undefined) throw new TsbpfError('INVALID_ARGUMENT', `unknown XDP mode '${String(mode)}'`);
  switch (via) {
    case 'bpf-link':
      return attachXdpLink(program, ifindex, mode);
    case 'netlink':
      return attachXdpNetlink(program, ifindex, mode);
    case 'auto':
      return haveXdpLinks().ok
        ? attachXdpLink(program, ifindex, mode)
        : attachXdpNetlink(program, ifindex, mode);
    default:
      return assertNever(via, 'XDP attach way (auto, bpf-link or netlink)');
  }
}

function attachXdpLink(program: ProgramFd, ifindex: number, mode: XdpModeName): KernelLink {
  refuseDispatcher(ifindex);
  const fd = new Attr()
    .u32(LinkCreate.prog_fd, program.fd)
    .u32(LinkCreate.target_ifindex, ifindex)
    .u32(LinkCreate.attach_type, AttachType.XDP)
    .u32(LinkCreate.flags, XdpMode[mode])
    .call(BpfCmd.LINK_CREATE);
  return new KernelLink(fd, `XDP link on ifindex ${ifindex}`);
}

function tcxAttachType(direction: 'ingress' | 'egress'): number {
  if (direction !== 'ingress' && direction !== 'egress')
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      `TCX direction must be 'ingress' or 'egress', not '${String(direction)}'`,
    );
  return direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
}

/** The mprog flags and relative fd/id of an anchor (kernel/bpf/mprog.c reads them so). */
function anchorBits(anchor: TcxAnchor | 'all'): { flags: number; relative: number } {
  if (anchor === 'all') return { flags: 0, relative: 0 };
  if (anchor instanceof KernelLink) return { flags: BPF_F_LINK, relative: anchor.fd };
  if ('linkId' in anchor) return { flags: BPF_F_LINK | BPF_F_ID, relative: anchor.linkId };
  if ('programId' in anchor) return { flags: BPF_F_ID, relative: anchor.programId };
  return { flags: 0, relative: anchor.fd };
}

/**
 * How a TC program attaches: a TCX link (a kernel object, pinnable, ordered; Linux 6.6+), the
 * legacy netlink way (a cls_bpf filter on the clsact qdisc, ordered by priority; outlives the
 * process), or 'auto': a link where the kernel makes TCX links (haveTcxLinks), else netlink.
 */
export type TcxAttachVia = 'auto' | 'bpf-link' | 'netlink';

export interface TcxAttachOptions extends TcxOrder, TcFilterOptions {
  /** Default 'bpf-link' when no options name it. */
  readonly via: TcxAttachVia;
}

/** A TC attachment of either kind; both update, detach, close and tell their info(). */
export type TcxAttachment = KernelLink | NetlinkTcAttachment;

/**
 * Attaches a SCHED_CLS program to the device's TCX ingress or egress hook: last by default,
 * or at the place `order` names. An anchor that is not on the hook is ENOENT from the kernel.
 * With `via` in the options, as they say, returning either kind: the netlink kind is placed by
 * `priority` and `handle` (default 1 and 1) and takes no before/after order.
 */
export function attachTcx(
  program: ProgramFd,
  ifindex: number,
  direction: 'ingress' | 'egress',
  order?: TcxOrder,
): KernelLink;
export function attachTcx(
  program: ProgramFd,
  ifindex: number,
  direction: 'ingress' | 'egress',
  options: TcxAttachOptions,
): TcxAttachment;
export function attachTcx(
  program: ProgramFd,
  ifindex: number,
  direction: 'ingress' | 'egress',
  how: TcxOrder | TcxAttachOptions = {},
): TcxAttachment {
  checkIfindex(ifindex);
  tcxAttachType(direction);
  const via = ('via' in how ? how.via : undefined) ?? 'bpf-link';
  switch (via) {
    case 'bpf-link':
      return attachTcxLink(program, ifindex, direction, how);
    case 'netlink':
      return attachTcxNetlink(program, ifindex, direction, how);
    case 'auto':
      return haveTcxLinks().ok
        ? attachTcxLink(program, ifindex, direction, how)
        : attachTcxNetlink(program, ifindex, direction, how);
    default:
      return assertNever(via, 'TC attach way (auto, bpf-link or netlink)');
  }
}

function attachTcxNetlink(
  program: ProgramFd,
  ifindex: number,
  direction: 'ingress' | 'egress',
  how: TcxOrder & TcFilterOptions,
): NetlinkTcAttachment {
  if (how.before !== undefined || how.after !== undefined || how.expectedRevision !== undefined)
    throw new NotSupportedError(
      'TCX ordering (before, after, expectedRevision) on a netlink TC attachment',
      'cls_bpf filters run in priority order: pass priority instead',
    );
  return attachTcNetlink(program, ifindex, direction, {
    ...(how.priority === undefined ? {} : { priority: how.priority }),
    ...(how.handle === undefined ? {} : { handle: how.handle }),
  });
}

function attachTcxLink(
  program: ProgramFd,
  ifindex: number,
  direction: 'ingress' | 'egress',
  order: TcxOrder,
): KernelLink {
  const attachType = tcxAttachType(direction);
  if (order.before !== undefined && order.after !== undefined)
    throw new TsbpfError('INVALID_ARGUMENT', 'a TCX order names before or after, not both');
  const attr = new Attr()
    .u32(LinkCreate.prog_fd, program.fd)
    .u32(LinkCreate.target_ifindex, ifindex)
    .u32(LinkCreate.attach_type, attachType);
  const anchor = order.before ?? order.after;
  if (anchor !== undefined) {
    const { flags, relative } = anchorBits(anchor);
    attr
      .u32(LinkCreate.flags, flags | (order.before !== undefined ? BPF_F_BEFORE : BPF_F_AFTER))
      .u32(LinkCreate.relative_fd, relative);
  }
  if (order.expectedRevision !== undefined) attr.u64(LinkCreate.expected_revision, order.expectedRevision);
  return new KernelLink(attr.call(BpfCmd.LINK_CREATE), `TCX ${direction} link on ifindex ${ifindex}`);
}

/** The programs on a TCX hook in the order they run, and the hook's revision (BPF_PROG_QUERY). */
export function tcxChain(
  ifindex: number,
  direction: 'ingress' | 'egress',
): { readonly entries: readonly TcxEntry[]; readonly revision: bigint } {
  checkIfindex(ifindex);
  const attachType = tcxAttachType(direction);
  for (let room = 16; ; room *= 4) {
    const progs = pinned(room * 4);
    const links = pinned(room * 4);
    const attr = new Attr()
      .u32(ProgQuery.target_ifindex, ifindex)
      .u32(ProgQuery.attach_type, attachType)
      .ptr(ProgQuery.prog_ids, progs)
      .ptr(ProgQuery.link_ids, links)
      .u32(ProgQuery.count, room);
    try {
      attr.call(BpfCmd.PROG_QUERY);
    } catch (e) {
      // ENOSPC: more programs than room; ask again with more.
      if (e instanceof BpfError && e.errnoName === 'ENOSPC' && room < 65536) continue;
      throw e;
    }
    const count = attr.getU32(ProgQuery.count);
    const pv = new DataView(progs.buffer);
    const lv = new DataView(links.buffer);
    const entries = Array.from({ length: count }, (_, k) => ({
      programId: pv.getUint32(k * 4, true),
      linkId: lv.getUint32(k * 4, true),
    }));
    const revision = new DataView(attr.bytes.buffer).getBigUint64(ProgQuery.revision, true);
    return { entries, revision };
  }
}
