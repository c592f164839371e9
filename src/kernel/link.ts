// bpf links that attach programs to network devices: XDP (BPF_LINK_CREATE with attach type
// BPF_XDP and the native/generic mode in flags) and TCX ingress/egress (BPF_TCX_INGRESS/EGRESS).
// A link holds the attachment while its fd is open: close() releases it, detach() (BPF_LINK_DETACH)
// takes the program off the device while the fd stays valid. The device is named by ifindex in
// the network namespace of the calling thread (run inside Netns.run for a namespace's veth).

import { TsbpfError } from '../errors.js';
import { AttachType, BpfCmd, type LinkTypeName, linkTypeName } from '../uapi/index.js';
import { Attr, ObjInfo } from './attr.js';
import { FdHandle } from './fd.js';
import { pinned } from './syscall.js';

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

/** struct bpf_link_info: type, id, prog_id, then per type (xdp: ifindex; tcx: ifindex, attach_type). */
const LinkInfo = { type: 0, id: 4, prog_id: 8, ifindex: 16, attach_type: 20, size: 64 } as const;

/** include/uapi/linux/if_link.h XDP_FLAGS_*: the attach mode. */
export const XdpMode = { auto: 0, generic: 1 << 1, native: 1 << 2 } as const;
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
}

export class KernelLink extends FdHandle {
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

  /** What the kernel says of the link (BPF_OBJ_GET_INFO_BY_FD); ifindex 0 once detached. */
  info(): LinkInfoView {
    const buf = pinned(LinkInfo.size);
    new Attr()
      .u32(ObjInfo.bpf_fd, this.fd)
      .u32(ObjInfo.info_len, LinkInfo.size)
      .ptr(ObjInfo.info, buf)
      .call(BpfCmd.OBJ_GET_INFO_BY_FD);
    const v = new DataView(buf.buffer);
    const t = v.getUint32(LinkInfo.type, true);
    return {
      type: linkTypeName(t) ?? `unknown ${t}`,
      id: v.getUint32(LinkInfo.id, true),
      progId: v.getUint32(LinkInfo.prog_id, true),
      ifindex: v.getUint32(LinkInfo.ifindex, true),
    };
  }
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fffffff)
    throw new TsbpfError('INVALID_ARGUMENT', `ifindex ${ifindex} is not a positive 32-bit integer`);
}

/** Attaches an XDP program to the device `ifindex` with a link; mode 'auto' lets the kernel pick. */
export function attachXdp(program: ProgramFd, ifindex: number, mode: XdpModeName = 'auto'): KernelLink {
  checkIfindex(ifindex);
  const flags = XdpMode[mode];
  if (flags === undefined) throw new TsbpfError('INVALID_ARGUMENT', `unknown XDP mode '${String(mode)}'`);
  const fd = new Attr()
    .u32(LinkCreate.prog_fd, program.fd)
    .u32(LinkCreate.target_ifindex, ifindex)
    .u32(LinkCreate.attach_type, AttachType.XDP)
    .u32(LinkCreate.flags, flags)
    .call(BpfCmd.LINK_CREATE);
  return new KernelLink(fd, `XDP link on ifindex ${ifindex}`);
}

/** Attaches a SCHED_CLS program to the device's TCX ingress or egress hook (appended last). */
export function attachTcx(program: ProgramFd, ifindex: number, direction: 'ingress' | 'egress'): KernelLink {
  checkIfindex(ifindex);
  if (direction !== 'ingress' && direction !== 'egress')
    throw new TsbpfError(
      'INVALID_ARGUMENT',
      `TCX direction must be 'ingress' or 'egress', not '${String(direction)}'`,
    );
  const fd = new Attr()
    .u32(LinkCreate.prog_fd, program.fd)
    .u32(LinkCreate.target_ifindex, ifindex)
    .u32(LinkCreate.attach_type, direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS)
    .call(BpfCmd.LINK_CREATE);
  return new KernelLink(fd, `TCX ${direction} link on ifindex ${ifindex}`);
}
