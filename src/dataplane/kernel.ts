// The data-plane platform on the running kernel (package subpath `tsbpf/dataplane/kernel`, not
// browser-safe): the router loaded with every map pinned by name and every program pinned under
// `pinPath`, XDP and TCX links pinned there too (`link-<ifindex>-<hook>`), flow-miss records read
// from the ring buffer's mmapped pages, AF_XDP punt sockets, devices looked up over rtnetlink, and
// (with `followKernel`) the kernel's routes, neighbours and addresses reported from an rtnetlink monitor.
// A controller started again with the same pinPath adopts what the previous one left: the pinned
// maps (contents kept), programs (not loaded again) and links (not re-attached) — or, with
// `upgrade`, loads the programs afresh and swaps them into the running links (BPF_LINK_UPDATE).
// Where XDP attaches through netlink (kernels without XDP links, or `xdpAttach: 'netlink'`) there
// is no link to pin: the attached program is pinned as `netlink-<ifindex>-xdp` instead, which
// marks it ours; a new controller finds it running on the device (IFLA_XDP) and adopts it, and
// an upgrade swaps it with XDP_FLAGS_REPLACE, expecting that very program. TC programs likewise
// where TCX links are missing (before 6.6, or `tcAttach: 'netlink'`): a cls_bpf filter at
// priority 1, handle 1 on the clsact hook, its program pinned as `netlink-<ifindex>-<hook>`,
// adopted from the filter dump (TCA_BPF_ID) and upgraded with NLM_F_REPLACE.

import { BpfError, type Collection, type CollectionSpec, Errno, TsbpfError } from '../index.js';
import {
  attachTcx,
  attachXdp,
  type KernelCollection,
  type KernelLink,
  type KernelProgram,
  KernelXskSocket,
  loadKernel,
  type NetlinkTcAttachment,
  type NetlinkXdpAttachment,
  type Netns,
  netDevice,
  openLink,
  openProgram,
  openTcNetlink,
  openXdpNetlink,
  RingBufferReader,
  RtnetlinkMonitor,
  type TcxAttachVia,
  type XdpAttachVia,
  type XdpModeName,
} from '../kernel/index.js';
import type { Hook } from '../net/index.js';
import type { DataplanePlatform, PlatformDevice, PuntSocket } from './platform.js';
import { u32Bytes } from './router-abi.js';

export interface KernelPlatformOptions {
  /** A directory in a mounted bpffs, kept across controller restarts. */
  readonly pinPath: string;
  /** The namespace the data plane's devices are in (default: the calling thread's). */
  readonly netns?: Netns;
  /** XDP attach mode (default 'native'). */
  readonly xdpMode?: XdpModeName;
  /**
   * How XDP programs attach (default 'auto': a bpf link where the kernel makes XDP links, else
   * netlink). A netlink attachment cannot be pinned; it stays on the device by itself.
   */
  readonly xdpAttach?: XdpAttachVia;
  /**
   * How TC programs attach (default 'auto': a TCX link where the kernel makes them, else a
   * cls_bpf filter through netlink, which cannot be pinned and stays on the device by itself).
   */
  readonly tcAttach?: TcxAttachVia;
  /** Load the programs afresh and replace the ones the pinned links run (default: adopt them). */
  readonly upgrade?: boolean;
  /** Report the kernel's routes, neighbours and addresses to the data plane (rtnetlink; default false). */
  readonly followKernel?: boolean;
}

const RING = 256;
const FRAMES = 512;

/** The pin of the link of `hook` on `ifindex`. */
const linkPinPath = (pinPath: string, ifindex: number, hook: Hook): string =>
  `${pinPath}/link-${ifindex}-${hook}`;

/** The pin of the program this data plane attached to `hook` of `ifindex` through netlink. */
const netlinkPinPath = (pinPath: string, ifindex: number, hook: Hook): string =>
  `${pinPath}/netlink-${ifindex}-${hook}`;

/** The clsact direction of a TC hook. */
const tcDirection = (hook: Hook) => (hook === 'tc-ingress' ? 'ingress' : 'egress');

/** The mode to open a netlink attachment in: the one asked for, or whichever runs. */
const modeOf = (mode: XdpModeName | undefined) =>
  mode === 'native' || mode === 'generic' ? mode : undefined;

/** What the platform holds on a device: a link, or a netlink attachment (released, never closed). */
type Held = KernelLink | NetlinkXdpAttachment | NetlinkTcAttachment;

export function kernelPlatform(options: KernelPlatformOptions): DataplanePlatform {
  const { pinPath, netns } = options;
  const inNs = <T>(f: () => T): T => (netns === undefined ? f() : netns.run(f));
  const held = new Set<Held>();
  const readers = new Map<string, RingBufferReader>();
  let monitor: RtnetlinkMonitor | undefined;
  const kc = (c: Collection) => c as KernelCollection;

  /** The pinned link of `path` if it is still on `ifindex`; a stale one is unpinned. */
  function pinnedLink(path: string, ifindex: number): KernelLink | undefined {
    let link: KernelLink;
    try {
      link = openLink({ pinned: path });
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
    if (link.info().ifindex === ifindex) return link;
    link.unpin(path); // its device went away (ifindex 0) or the number now names another one
    link.close();
    return undefined;
  }

  /**
   * The netlink attachment a previous controller left on `ifindex` (its program pinned as ours
   * and still running there), running `prog` from now on; undefined when there is none. A stale
   * mark (the device runs something else, or nothing) is unpinned.
   */
  function netlinkAttachment(
    prog: KernelProgram,
    ifindex: number,
    hook: Hook,
  ): NetlinkXdpAttachment | NetlinkTcAttachment | undefined {
    const mark = netlinkPinPath(pinPath, ifindex, hook);
    let ours: KernelProgram;
    try {
      ours = openProgram({ pinned: mark });
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return undefined;
      throw e;
    }
    try {
      let att: NetlinkXdpAttachment | NetlinkTcAttachment | undefined;
      try {
        att = inNs(() =>
          hook === 'xdp'
            ? openXdpNetlink(ifindex, modeOf(options.xdpMode))
            : openTcNetlink(ifindex, tcDirection(hook)),
        );
      } catch (e) {
        if (!(e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT')) throw e; // nothing attached
      }
      if (att === undefined || att.info().progId !== ours.id) {
        att?.release(); // someone else's program: attaching will refuse to clobber it
        ours.unpin(mark);
        return undefined;
      }
      if (ours.id !== prog.id) {
        att.update(prog, ours);
        ours.unpin(mark);
        prog.pin(mark);
      }
      return att;
    } finally {
      ours.close();
    }
  }

  /** Keeps `h` until release(); the function returned unbinds: detaches and unpins `pin`. */
  function hold(h: Held, pin: string): () => void {
    held.add(h);
    return () => {
      held.delete(h);
      h.detach();
      if (h.kind === 'netlink') {
        const mark = openProgram({ pinned: pin }); // the mark goes; the program is off the device
        mark.unpin(pin);
        mark.close();
        // A TC handle's close() also removes the clsact qdisc if it made it and it is now empty.
        if ('place' in h) h.close();
        else h.release();
      } else {
        h.unpin(pin);
        h.close();
      }
    };
  }

  return {
    name: 'kernel',
    load(spec: CollectionSpec) {
      const pinned = { ...spec, maps: spec.maps.map((m) => ({ ...m, pinning: 'by-name' as const })) };
      const c = inNs(() =>
        loadKernel(pinned, { pinPath, programPins: options.upgrade === true ? 'replace' : 'adopt' }),
      );
      if (netns === undefined) return c;
      // A devmap resolves the ifindex it is given in the writer's namespace: write inside.
      const maps = new Map(
        [...c.maps].map(([name, m]) => [
          name,
          new Proxy(m, {
            get(target, key) {
              const v = Reflect.get(target, key, target) as unknown;
              if (typeof v !== 'function') return v;
              if (key === 'update')
                return (k: Uint8Array, value: Uint8Array, flags?: number) =>
                  inNs(() => target.update(k, value, flags));
              return v.bind(target);
            },
          }),
        ]),
      );
      return new Proxy(c, {
        get(target, key) {
          if (key === 'maps') return maps;
          const v = Reflect.get(target, key, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
    device(nameOrIfindex): PlatformDevice {
      return inNs(() => netDevice(nameOrIfindex));
    },
    attach(c, program, device, hook) {
      const prog = kc(c).program(program).kernel;
      const path = linkPinPath(pinPath, device.ifindex, hook);
      let link = pinnedLink(path, device.ifindex);
      const mark = netlinkPinPath(pinPath, device.ifindex, hook);
      if (link === undefined) {
        const att = netlinkAttachment(prog, device.ifindex, hook);
        if (att !== undefined) return hold(att, mark);
      }
      if (link !== undefined) {
        // Adopted: it runs on; an upgrade (or programs loaded again) swaps the program in place.
        if (link.info().progId !== prog.id) link.update(prog);
      } else if (hook === 'xdp') {
        const made = inNs(() =>
          attachXdp(prog, device.ifindex, {
            mode: options.xdpMode ?? 'native',
            via: options.xdpAttach ?? 'auto',
          }),
        );
        if (made.kind === 'netlink') {
          prog.pin(mark);
          return hold(made, mark);
        }
        link = made;
        link.pin(path);
      } else {
        const made = inNs(() =>
          attachTcx(prog, device.ifindex, tcDirection(hook), { via: options.tcAttach ?? 'auto' }),
        );
        if (made.kind === 'netlink') {
          prog.pin(mark);
          return hold(made, mark);
        }
        link = made;
        link.pin(path);
      }
      return hold(link, path);
    },
    drainRingBuffer(c, map) {
      let r = readers.get(map);
      if (r === undefined) {
        const m = kc(c).map(map);
        r = RingBufferReader.open({ fd: m.fd, type: m.spec.type, maxEntries: m.kernel.maxEntries });
        readers.set(map, r);
      }
      const out: Uint8Array[] = [];
      for (let rec = r.read(); rec !== undefined; rec = r.read()) out.push(rec);
      return out;
    },
    openSocket(device): PuntSocket {
      const create = () =>
        inNs(() =>
          KernelXskSocket.create({
            umem: { frameCount: FRAMES, frameSize: 2048 },
            ifindex: device.ifindex,
            queue: 0,
            mode: 'copy',
            fillSize: RING,
            completionSize: RING,
            rxSize: RING,
            txSize: RING,
          }),
        );
      const socket = retryWhileBusy(create);
      return { socket, mapValue: u32Bytes(socket.fd) };
    },
    settle() {
      // The kernel moves traffic by itself.
    },
    tableChanges() {
      if (options.followKernel !== true) return [];
      monitor ??= inNs(() => RtnetlinkMonitor.open());
      return monitor.read();
    },
    release() {
      // Nothing is detached: pinned links and netlink attachments keep the programs running.
      for (const h of held) {
        if (h.kind === 'netlink') h.release();
        else h.close();
      }
      held.clear();
      for (const r of readers.values()) void r.close();
      readers.clear();
      monitor?.close();
      monitor = undefined;
    },
  };
}

/**
 * A controller that just died may still hold the queue: its AF_XDP socket is unbound only when
 * the kernel releases the dead process's files, which can trail its exit a little; bind is EBUSY
 * until then. Retries for up to two seconds before giving the error.
 */
function retryWhileBusy<T>(create: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 1; ; attempt++) {
    try {
      return create();
    } catch (e) {
      if (!(e instanceof BpfError && e.errno === Errno.EBUSY) || attempt >= 20) throw e;
      Atomics.wait(pause, 0, 0, 100);
    }
  }
}
