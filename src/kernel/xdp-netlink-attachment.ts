// An XDP program attached the legacy way, through rtnetlink (RTM_SETLINK with IFLA_XDP), for
// kernels without XDP links (before 5.9) or where it is asked for (bpftool's `net attach xdp`
// attaches so). Unlike a bpf link it is not a kernel object: only the device holds the program,
// so it cannot be pinned and it outlives the process that made it (a controller that crashes
// leaves its program forwarding). To touch only what it attached, the handle keeps its own fd of
// that program (XDP_FLAGS_REPLACE with IFLA_XDP_EXPECTED_FD: update and detach act only while
// the device runs it, else EEXIST; kernel 5.7+), and an rtnetlink socket made in the device's
// namespace, so that later calls reach the same device whatever namespace the caller is in.

import { BpfError, ClosedError, Errno, NotSupportedError, TsbpfError } from '../errors.js';
import { BpfCmd } from '../uapi/index.js';
import { Attr } from './attr.js';
import type { ProgramFd, XdpModeName } from './link.js';
import { setXdpLegacy, XdpFlags, xdpAttached } from './netlink-xdp.js';
import { programInfo } from './object-info.js';
import { requestSocket } from './rtnetlink.js';
import { closeFd } from './syscall.js';
import { refuseDispatcher } from './xdp-dispatcher.js';

/** The mode a netlink attachment runs in (an 'auto' attach is resolved to one after the fact). */
export type XdpAttachedMode = 'native' | 'generic';

const MODE_FLAG: Record<XdpAttachedMode, number> = { native: XdpFlags.drvMode, generic: XdpFlags.skbMode };

export interface NetlinkXdpInfo {
  readonly ifindex: number;
  readonly mode: XdpAttachedMode;
  /** The program the device runs in this mode now (0 when none): ours unless someone replaced it. */
  readonly progId: number;
}

/** The fds a handle owns, in an object of their own so that the finalizer sees the current ones. */
interface Owned {
  socket: number;
  program: number;
}

// The fds of a handle dropped without close(): released, the program left attached (as a crash).
const leaked = new FinalizationRegistry<Owned>((owned) => {
  for (const fd of [owned.socket, owned.program])
    try {
      closeFd(fd);
    } catch {
      // Nothing to report to.
    }
});

/** A new fd of the program `id` (BPF_PROG_GET_FD_BY_ID), so that the handle owns one. */
function programFdById(id: number): number {
  return new Attr().u32(0, id).call(BpfCmd.PROG_GET_FD_BY_ID);
}

export class NetlinkXdpAttachment implements Disposable {
  readonly kind = 'netlink' as const;
  readonly ifindex: number;
  readonly mode: XdpAttachedMode;
  /**
   * The request socket (in the device's namespace) and our fd of the program we attached or
   * last swapped in (the expected one); -1 both once closed.
   */
  readonly #owned: Owned;

  /** @internal use attachXdp(..., { via: 'netlink' }) or openXdpNetlink(). */
  constructor(socket: number, program: number, ifindex: number, mode: XdpAttachedMode) {
    this.#owned = { socket, program };
    this.ifindex = ifindex;
    this.mode = mode;
    leaked.register(this, this.#owned, this);
  }

  get closed(): boolean {
    return this.#owned.socket < 0;
  }

  /**
   * Swaps the program atomically (no moment where none runs), only if the device still runs
   * `expected` — by default the program this handle attached (or found) — else EEXIST. A libxdp
   * dispatcher is not replaced.
   */
  update(program: ProgramFd, expected?: ProgramFd): void {
    const socket = this.#live();
    refuseDispatcher(this.ifindex, socket); // a handle opened on a device that runs one
    const fresh = programFdById(programInfo(program.fd).id);
    try {
      setXdpLegacy(this.ifindex, program.fd, MODE_FLAG[this.mode] | XdpFlags.replace, {
        expectedFd: expected?.fd ?? this.#owned.program,
        socket,
      });
    } catch (e) {
      closeFd(fresh);
      throw e;
    }
    closeFd(this.#owned.program);
    this.#owned.program = fresh;
  }

  /** Takes our program off the device now; EEXIST when the device runs another one. */
  detach(): void {
    const socket = this.#live();
    setXdpLegacy(this.ifindex, -1, MODE_FLAG[this.mode] | XdpFlags.replace, {
      expectedFd: this.#owned.program,
      socket,
    });
  }

  info(): NetlinkXdpInfo {
    const attached = xdpAttached(this.ifindex, this.#live());
    return { ifindex: this.ifindex, mode: this.mode, progId: attached?.[this.mode] ?? 0 };
  }

  /**
   * Detaches our program if the device still runs it (another one, or a device gone, is left
   * alone) and releases the handle. To leave the program attached, use release().
   */
  close(): void {
    if (this.closed) return;
    try {
      this.detach();
    } catch (e) {
      const gone = e instanceof BpfError && (e.errno === Errno.EEXIST || e.errno === Errno.ENODEV);
      if (!gone) {
        this.release();
        throw e;
      }
    }
    this.release();
  }

  /** Releases the handle and leaves the program attached: it runs on after this process. */
  release(): void {
    if (this.closed) return;
    leaked.unregister(this);
    const { socket, program } = this.#owned;
    this.#owned.socket = -1;
    this.#owned.program = -1;
    closeFd(socket);
    closeFd(program);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #live(): number {
    if (this.closed) throw new ClosedError(`netlink XDP attachment on ifindex ${this.ifindex}`);
    return this.#owned.socket;
  }
}

/** Runs `make` with a fresh request socket of the calling thread's namespace, closed if it throws. */
function withSocket<T>(make: (socket: number) => T): T {
  const socket = requestSocket();
  try {
    return make(socket);
  } catch (e) {
    closeFd(socket);
    throw e;
  }
}

/**
 * Attaches `program` to `ifindex` (calling thread's namespace) through netlink, only where no
 * program runs in that mode (XDP_FLAGS_UPDATE_IF_NOEXIST: EBUSY otherwise; EEXIST when one runs
 * in the other mode; EBUSY when a bpf link holds the device). A libxdp dispatcher is refused.
 */
export function attachXdpNetlink(
  program: ProgramFd,
  ifindex: number,
  mode: XdpModeName,
): NetlinkXdpAttachment {
  const id = programInfo(program.fd).id;
  refuseDispatcher(ifindex);
  return withSocket((socket) => {
    const ours = programFdById(id);
    try {
      const modeFlag = mode === 'auto' ? 0 : MODE_FLAG[mode];
      setXdpLegacy(ifindex, program.fd, modeFlag | XdpFlags.updateIfNoexist, { socket });
      // 'auto': the kernel chose native where the driver has it; ask which, for later REPLACEs.
      const attached = xdpAttached(ifindex, socket);
      const resolved: XdpAttachedMode | undefined =
        mode !== 'auto'
          ? mode
          : attached?.native === id
            ? 'native'
            : attached?.generic === id
              ? 'generic'
              : undefined;
      if (resolved === undefined)
        throw new TsbpfError(
          'BPF_ERROR',
          `ifindex ${ifindex}: program ${id} attached but not reported by IFLA_XDP`,
        );
      return new NetlinkXdpAttachment(socket, ours, ifindex, resolved);
    } catch (e) {
      closeFd(ours);
      throw e;
    }
  });
}

/**
 * A handle on the XDP program that runs on `ifindex` now (calling thread's namespace), e.g. the
 * one a previous controller attached through netlink: update() and detach() then act only while
 * the device still runs it. `mode` picks one when native and generic both run.
 */
export function openXdpNetlink(ifindex: number, mode?: XdpAttachedMode): NetlinkXdpAttachment {
  return withSocket((socket) => {
    const attached = xdpAttached(ifindex, socket);
    if (attached === undefined)
      throw new TsbpfError('INVALID_ARGUMENT', `no XDP program is attached to ifindex ${ifindex}`);
    if (attached.mode === 'offload')
      throw new NotSupportedError('XDP offload', `ifindex ${ifindex} runs an offloaded program`);
    const m = mode ?? (attached.mode === 'native' || attached.mode === 'generic' ? attached.mode : undefined);
    if (m === undefined)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `ifindex ${ifindex} runs native and generic XDP programs: name the mode to open`,
      );
    const id = attached[m];
    if (id === 0)
      throw new TsbpfError('INVALID_ARGUMENT', `no ${m} XDP program is attached to ifindex ${ifindex}`);
    return new NetlinkXdpAttachment(socket, programFdById(id), ifindex, m);
  });
}
