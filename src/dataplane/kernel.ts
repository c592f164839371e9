// The data-plane platform on the running kernel (package subpath `tsbpf/dataplane/kernel`, not
// browser-safe): the router loaded with every map pinned by name and every program pinned under
// `pinPath`, XDP and TCX links pinned there too (`link-<ifindex>-<hook>`), flow-miss records read
// from the ring buffer's mmapped pages, AF_XDP punt sockets, devices looked up over rtnetlink, and
// (with `followKernel`) the kernel's routes, neighbours and addresses reported from an rtnetlink monitor.
// A controller started again with the same pinPath adopts what the previous one left: the pinned
// maps (contents kept), programs (not loaded again) and links (not re-attached) — or, with
// `upgrade`, loads the programs afresh and swaps them into the running links (BPF_LINK_UPDATE).

import { BpfError, type Collection, type CollectionSpec, Errno } from '../index.js';
import {
  attachTcx,
  attachXdp,
  type KernelCollection,
  type KernelLink,
  KernelXskSocket,
  loadKernel,
  type Netns,
  netDevice,
  openLink,
  RingBufferReader,
  RtnetlinkMonitor,
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

export function kernelPlatform(options: KernelPlatformOptions): DataplanePlatform {
  const { pinPath, netns } = options;
  const inNs = <T>(f: () => T): T => (netns === undefined ? f() : netns.run(f));
  const links = new Set<KernelLink>();
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
      if (link !== undefined) {
        // Adopted: it runs on; an upgrade (or programs loaded again) swaps the program in place.
        if (link.info().progId !== prog.id) link.update(prog);
      } else {
        link = inNs(() =>
          hook === 'xdp'
            ? attachXdp(prog, device.ifindex, options.xdpMode ?? 'native')
            : attachTcx(prog, device.ifindex, hook === 'tc-ingress' ? 'ingress' : 'egress'),
        );
        link.pin(path);
      }
      links.add(link);
      const held = link;
      return () => {
        links.delete(held);
        held.detach();
        held.unpin(path);
        held.close();
      };
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
      for (const l of links) l.close();
      links.clear();
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
