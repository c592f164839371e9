// A SCHED_CLS program attached the legacy way, through rtnetlink, for kernels without TCX links
// (before 6.6) or where it is asked for: a direct-action cls_bpf filter on the device's clsact
// qdisc (netlink-tc.ts). Like the netlink XDP attachment it is not a kernel object: the filter
// holds the program and outlives this process. The handle names its filter by priority and
// handle, so update() replaces exactly that filter (NLM_F_REPLACE) and close() deletes exactly
// it, and only while it still runs the program the handle put there (someone else's filter at
// another priority, or one that replaced ours, is left alone). The clsact qdisc is added only if
// the device has none, and removed on close only if this handle added it and no filter is left.

import { BpfError, ClosedError, Errno, TsbpfError } from '../errors.js';
import type { ProgramFd } from './link.js';
import {
  addClsact,
  deleteBpfFilter,
  deleteClsact,
  setBpfFilter,
  type TcDirection,
  type TcFilterPlace,
  tcFilters,
} from './netlink-tc.js';
import { programInfo } from './object-info.js';
import { requestSocket } from './rtnetlink.js';
import { closeFd } from './syscall.js';

/** Where the filter goes on its hook; both default to 1 (as libbpf's bpf_tc_attach does). */
export interface TcFilterOptions {
  /** 1..65535; lower runs first. */
  readonly priority?: number;
  readonly handle?: number;
}

export interface NetlinkTcInfo extends TcFilterPlace {
  /** The program our filter runs now (0 when the filter is gone). */
  readonly progId: number;
}

// A handle dropped without close(): its socket released, the filter left (as a crash).
const leaked = new FinalizationRegistry<{ socket: number }>((owned) => {
  try {
    closeFd(owned.socket);
  } catch {
    // Nothing to report to.
  }
});

export class NetlinkTcAttachment implements Disposable {
  readonly kind = 'netlink' as const;
  readonly place: TcFilterPlace;
  /** Whether this handle added the clsact qdisc (and so may remove it once empty). */
  readonly ownsQdisc: boolean;
  /** The request socket, made in the device's namespace; -1 once closed. */
  readonly #owned: { socket: number };
  /** The program our filter should run: the one attached or last updated to. */
  #progId: number;

  /** @internal use attachTcx(..., { via: 'netlink' }). */
  constructor(socket: number, place: TcFilterPlace, progId: number, ownsQdisc: boolean) {
    this.#owned = { socket };
    this.place = place;
    this.#progId = progId;
    this.ownsQdisc = ownsQdisc;
    leaked.register(this, this.#owned, this);
  }

  get ifindex(): number {
    return this.place.ifindex;
  }

  get closed(): boolean {
    return this.#owned.socket < 0;
  }

  /** The program our filter runs now (0 when none is at our place). */
  #current(): number {
    const { ifindex, direction, priority, handle } = this.place;
    const f = tcFilters(ifindex, direction, this.#live()).find(
      (x) => x.priority === priority && x.handle === handle && x.kind === 'bpf',
    );
    return f?.programId ?? 0;
  }

  /**
   * Replaces the program of our filter (NLM_F_REPLACE: the kernel swaps the filter's program,
   * no moment where none runs), only if it still runs `expected` — by default the program this
   * handle put there — else EEXIST. (Checked, then replaced: two requests, not one atomic one.)
   */
  update(program: ProgramFd, expected?: ProgramFd): void {
    const socket = this.#live();
    const want = expected === undefined ? this.#progId : programInfo(expected.fd).id;
    const now = this.#current();
    if (now !== want)
      throw new BpfError('netlink', Errno.EEXIST, {
        subject: `TC filter ${this.#what()}`,
        reason: `runs program ${now}, not the expected ${want}`,
      });
    const info = programInfo(program.fd);
    setBpfFilter(this.place, program.fd, info.name || 'tsbpf', true, socket);
    this.#progId = info.id;
  }

  /** Deletes our filter now; EEXIST when it runs another program, ENOENT when it is gone. */
  detach(): void {
    const socket = this.#live();
    const now = this.#current();
    if (now === 0)
      throw new BpfError('netlink', Errno.ENOENT, { subject: `TC filter ${this.#what()}`, reason: 'gone' });
    if (now !== this.#progId)
      throw new BpfError('netlink', Errno.EEXIST, {
        subject: `TC filter ${this.#what()}`,
        reason: `runs program ${now}, not ours (${this.#progId})`,
      });
    deleteBpfFilter(this.place, socket);
  }

  info(): NetlinkTcInfo {
    return { ...this.place, progId: this.#current() };
  }

  /**
   * Deletes our filter if it still runs our program (another one, a filter or device gone, is
   * left alone), removes the clsact qdisc if we added it and no filter is left on it, and
   * releases the handle. To leave the filter in place, use release().
   */
  close(): void {
    if (this.closed) return;
    const gone = (e: unknown) =>
      e instanceof BpfError &&
      (e.errno === Errno.EEXIST || e.errno === Errno.ENOENT || e.errno === Errno.ENODEV);
    try {
      try {
        this.detach();
      } catch (e) {
        if (!gone(e)) throw e;
      }
      if (this.ownsQdisc) this.#removeQdiscIfEmpty();
    } catch (e) {
      if (!gone(e)) {
        this.release();
        throw e;
      }
    }
    this.release();
  }

  /** Releases the handle and leaves the filter: the program runs on after this process. */
  release(): void {
    if (this.closed) return;
    leaked.unregister(this);
    const { socket } = this.#owned;
    this.#owned.socket = -1;
    closeFd(socket);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #removeQdiscIfEmpty(): void {
    const socket = this.#live();
    const { ifindex } = this.place;
    const left = ['ingress', 'egress'].flatMap((d) => tcFilters(ifindex, d as TcDirection, socket));
    if (left.length === 0) deleteClsact(ifindex, socket);
  }

  #what(): string {
    const { ifindex, direction, priority, handle } = this.place;
    return `ifindex ${ifindex} ${direction} prio ${priority} handle ${handle}`;
  }

  #live(): number {
    if (this.closed) throw new ClosedError(`netlink TC attachment on ifindex ${this.place.ifindex}`);
    return this.#owned.socket;
  }
}

/** Where a filter of ours sits: `options`' priority and handle, 1 and 1 by default. */
function filterPlace(ifindex: number, direction: TcDirection, options: TcFilterOptions): TcFilterPlace {
  return { ifindex, direction, priority: options.priority ?? 1, handle: options.handle ?? 1 };
}

/**
 * Attaches `program` (SCHED_CLS) to `direction` of `ifindex` (calling thread's namespace) as a
 * direct-action cls_bpf filter at `options`' priority and handle, only where no filter is
 * there (EEXIST). Adds the clsact qdisc if the device has none (removed again if this fails).
 */
export function attachTcNetlink(
  program: ProgramFd,
  ifindex: number,
  direction: TcDirection,
  options: TcFilterOptions = {},
): NetlinkTcAttachment {
  const place = filterPlace(ifindex, direction, options);
  const info = programInfo(program.fd);
  const socket = requestSocket();
  let added = false;
  try {
    added = addClsact(ifindex, socket);
    setBpfFilter(place, program.fd, info.name || 'tsbpf', false, socket);
    return new NetlinkTcAttachment(socket, place, info.id, added);
  } catch (e) {
    try {
      if (added) deleteClsact(ifindex, socket);
    } catch {
      // The attach error is the one to report; the qdisc we made stays (empty).
    } finally {
      closeFd(socket);
    }
    throw e;
  }
}

/**
 * A handle on the cls_bpf filter at `options`' priority and handle (default 1 and 1) on
 * `direction` of `ifindex` (calling thread's namespace), e.g. the one a previous controller
 * attached: update() and detach() then act only while it runs the program found now. The
 * clsact qdisc is not ours to remove (ownsQdisc false).
 */
export function openTcNetlink(
  ifindex: number,
  direction: TcDirection,
  options: TcFilterOptions = {},
): NetlinkTcAttachment {
  const place = filterPlace(ifindex, direction, options);
  const socket = requestSocket();
  try {
    let found: number | undefined;
    try {
      found = tcFilters(ifindex, direction, socket).find(
        (f) => f.priority === place.priority && f.handle === place.handle && f.kind === 'bpf',
      )?.programId;
    } catch (e) {
      if (!(e instanceof BpfError && e.errno === Errno.EINVAL)) throw e; // EINVAL: no clsact
    }
    if (found === undefined || found === 0)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `no bpf TC filter at ifindex ${ifindex} ${direction} prio ${place.priority} handle ${place.handle}`,
      );
    return new NetlinkTcAttachment(socket, place, found, false);
  } catch (e) {
    closeFd(socket);
    throw e;
  }
}
