// libxdp runs several XDP programs on one device through a dispatcher program (named
// `xdp_dispatcher`, see xdp-tools lib/libxdp/xdp-dispatcher.c) whose slots it fills with
// freplace programs. Attaching over it would silently unload every program libxdp manages,
// so tsbpf looks at what is attached (rtnetlink) and refuses.

import { BpfError, Errno, TsbpfError } from '../errors.js';
import { BpfCmd } from '../uapi/index.js';
import { Attr } from './attr.js';
import { xdpAttached } from './netlink-xdp.js';
import { programInfo } from './object-info.js';
import { closeFd } from './syscall.js';

/** The program name libxdp gives its dispatcher. */
export const XDP_DISPATCHER_NAME = 'xdp_dispatcher';

function programName(id: number): string | undefined {
  let fd: number;
  try {
    fd = new Attr().u32(0, id).call(BpfCmd.PROG_GET_FD_BY_ID);
  } catch {
    return undefined; // detached and freed meanwhile
  }
  try {
    return programInfo(fd).name;
  } finally {
    closeFd(fd);
  }
}

/**
 * Throws when a libxdp dispatcher is attached to `ifindex` (in the namespace of `socket`, an
 * rtnetlink socket, or else of the calling thread).
 */
export function refuseDispatcher(ifindex: number, socket?: number): void {
  let attached: ReturnType<typeof xdpAttached>;
  try {
    attached = xdpAttached(ifindex, socket);
  } catch (e) {
    // No such device: leave the answer to BPF_LINK_CREATE (EINVAL), as without this check.
    if (e instanceof BpfError && e.errno === Errno.ENODEV) return;
    throw e;
  }
  for (const id of attached?.programIds ?? []) {
    if (programName(id) === XDP_DISPATCHER_NAME)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `ifindex ${ifindex} runs a libxdp multi-program dispatcher (program ${id}, '${XDP_DISPATCHER_NAME}'): ` +
          'tsbpf will not replace it; add the program through libxdp (xdp-loader) or unload the dispatcher first',
      );
  }
}
