// The controller's side of the reference router (examples/router): load it, bind it to
// interfaces, program its route, neighbour and interface tables, read its flows and counters, and
// take the flow-miss events and the punted packets — written once against a DataplanePlatform, so
// the same controller runs on the simulated network and on the kernel.

import {
  BpfError,
  type Collection,
  type CollectionSpec,
  Errno,
  type LoadedMap,
  type TableChange,
  TsbpfError,
} from '../index.js';
import type { DataplanePlatform, PlatformDevice, PuntSocket } from './platform.js';
import {
  decodeFlow,
  decodeFlowEvent,
  type FlowEntry,
  type FlowEvent,
  ipv4Bytes,
  ipv4Text,
  macValue,
  REASONS,
  type Reason,
  ROUTE_FIB,
  ROUTE_LOCAL,
  ROUTE_PUNT,
  routeKey,
  routePrefix,
  routeValue,
  u32Bytes,
} from './router-abi.js';

export interface BindOptions {
  /** Tag forwarded frames leaving this interface with this 802.1Q VLAN (default untagged). */
  readonly vlan?: number;
  /** Open an AF_XDP socket on the interface for punted packets (default true). */
  readonly punt?: boolean;
}

/** Where a route sends its traffic. Exactly one of `dev`, `fib`, `local`, `punt`. */
export interface RouteTarget {
  /** Out of this bound interface, to `via` (default: the destination itself, on-link). */
  readonly dev?: string | number;
  readonly via?: string;
  /** Ask the kernel's FIB (bpf_fib_lookup) for the next hop and the MACs. */
  readonly fib?: boolean;
  /** For this host: to the stack. */
  readonly local?: boolean;
  /** To the controller's onPunt handler (AF_XDP). */
  readonly punt?: boolean;
}

export interface Route extends RouteTarget {
  readonly prefix: string;
}

export interface PuntedPacket {
  /** The interface the packet arrived on. */
  readonly device: string;
  /** A copy of the frame. */
  readonly data: Uint8Array;
}

interface Binding {
  readonly device: PlatformDevice;
  readonly detach: (() => void)[];
  readonly punt: PuntSocket | undefined;
}

const invalid = (message: string) => new TsbpfError('INVALID_ARGUMENT', `dataplane: ${message}`);
const PROGRAMS = ['xdp_router', 'tc_router_ingress', 'tc_router_egress'] as const;

export class Dataplane {
  readonly platform: DataplanePlatform;
  readonly collection: Collection;
  readonly #bound = new Map<number, Binding>();
  readonly #flowMiss: ((e: FlowEvent) => void)[] = [];
  readonly #punted: ((p: PuntedPacket) => void)[] = [];
  /** The kernel's routes as last reported (followKernel), by prefix: applied again on bind. */
  readonly #kernelRoutes = new Map<string, TableChange & { kind: 'route' }>();
  #closed = false;

  /** Loads the router object (examples/router/router.v3.o or .v4.o) on `platform`. */
  constructor(spec: CollectionSpec, platform: DataplanePlatform) {
    for (const p of PROGRAMS)
      if (!spec.programs.some((s) => s.name === p))
        throw invalid(`the object has no program '${p}': is it examples/router/router.o?`);
    this.platform = platform;
    this.collection = platform.load(spec);
  }

  #map(name: string): LoadedMap {
    if (this.#closed) throw new TsbpfError('CLOSED', 'dataplane: closed');
    return this.collection.maps.get(name)!;
  }

  /** Starts forwarding on an interface: XDP and TC ingress/egress attached, its MAC and VLAN known. */
  bind(device: string | number, options: BindOptions = {}): void {
    const dev = this.platform.device(device);
    if (this.#bound.has(dev.ifindex)) throw invalid(`${dev.name} is bound already`);
    this.#map('ifaces').update(u32Bytes(dev.ifindex), macValue(dev.mac, options.vlan ?? 0));
    this.#map('tx_ports').update(u32Bytes(dev.ifindex), u32Bytes(dev.ifindex));
    let punt: PuntSocket | undefined;
    if (options.punt ?? true) {
      punt = this.platform.openSocket(dev);
      const fill = punt.socket.fill;
      const n = Math.min(fill.size, punt.socket.umem.geometry.frameCount);
      const at = fill.reserve(n);
      for (let k = 0; k < n; k++) fill.setAddr(at + k, k * punt.socket.umem.geometry.chunkSize);
      fill.submit(n);
      this.#map('punt').update(u32Bytes(dev.ifindex), punt.mapValue);
    }
    const c = this.collection;
    const detach = [
      this.platform.attach(c, 'xdp_router', dev, 'xdp'),
      this.platform.attach(c, 'tc_router_ingress', dev, 'tc-ingress'),
      this.platform.attach(c, 'tc_router_egress', dev, 'tc-egress'),
    ];
    this.#bound.set(dev.ifindex, { device: dev, detach, punt });
    for (const r of this.#kernelRoutes.values()) if (r.ifindex === dev.ifindex) this.#mirror(r);
  }

  /** Stops forwarding on an interface and forgets it. */
  unbind(device: string | number): void {
    const dev = this.platform.device(device);
    const b = this.#bound.get(dev.ifindex);
    if (b === undefined) throw invalid(`${dev.name} is not bound`);
    for (const d of b.detach) d();
    this.#map('ifaces').delete(u32Bytes(dev.ifindex));
    this.#map('tx_ports').delete(u32Bytes(dev.ifindex));
    if (b.punt !== undefined) {
      this.#map('punt').delete(u32Bytes(dev.ifindex));
      b.punt.socket.close();
    }
    this.#bound.delete(dev.ifindex);
  }

  get bound(): string[] {
    return [...this.#bound.values()].map((b) => b.device.name);
  }

  /** Adds or replaces the route for a prefix. */
  setRoute(route: Route): void {
    const targets = [route.dev !== undefined, route.fib === true, route.local === true, route.punt === true];
    if (targets.filter(Boolean).length !== 1)
      throw invalid(`route ${route.prefix}: give exactly one of dev, fib, local, punt`);
    if (route.via !== undefined && route.dev === undefined)
      throw invalid(`route ${route.prefix}: via needs dev`);
    let ifindex = 0;
    if (route.dev !== undefined) {
      ifindex = this.platform.device(route.dev).ifindex;
      if (!this.#bound.has(ifindex))
        throw invalid(`route ${route.prefix}: ${String(route.dev)} is not bound`);
    }
    const flags = route.fib ? ROUTE_FIB : route.local ? ROUTE_LOCAL : route.punt ? ROUTE_PUNT : 0;
    this.#map('routes').update(routeKey(route.prefix), routeValue(route.via, ifindex, flags));
  }

  /** Removes a route; false when there was none. */
  deleteRoute(prefix: string): boolean {
    return this.#deleted(() => this.#map('routes').delete(routeKey(prefix)));
  }

  get routes(): Route[] {
    const out: Route[] = [];
    const m = this.#map('routes');
    for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
      const v = m.lookup(k);
      if (v === undefined) continue;
      const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
      const flags = d.getUint32(8, true);
      const prefix = routePrefix(k);
      if (flags & ROUTE_FIB) out.push({ prefix, fib: true });
      else if (flags & ROUTE_LOCAL) out.push({ prefix, local: true });
      else if (flags & ROUTE_PUNT) out.push({ prefix, punt: true });
      else {
        const via = ipv4Text(v);
        const dev = this.platform.device(d.getUint32(4, true)).name;
        out.push(via === '0.0.0.0' ? { prefix, dev } : { prefix, dev, via });
      }
    }
    return out;
  }

  /** The MAC of a next hop (what ARP would have resolved). */
  setNeighbour(address: string, mac: string): void {
    this.#map('neighbours').update(ipv4Bytes(address, 'neighbour'), macValue(mac));
  }

  deleteNeighbour(address: string): boolean {
    return this.#deleted(() => this.#map('neighbours').delete(ipv4Bytes(address, 'neighbour')));
  }

  /** Every flow the router has forwarded, with its counters. */
  get flows(): FlowEntry[] {
    const m = this.#map('flows');
    const out: FlowEntry[] = [];
    for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
      const v = m.lookup(k);
      if (v !== undefined) out.push(decodeFlow(k, v));
    }
    return out;
  }

  /** The router's counters by reason, summed over CPUs. */
  get counters(): Record<Reason, bigint> {
    const m = this.#map('stats');
    const out = {} as Record<Reason, bigint>;
    REASONS.forEach((r, i) => {
      const v = m.lookup(u32Bytes(i))!;
      const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
      let n = 0n;
      for (let at = 0; at + 8 <= v.length; at += 8) n += d.getBigUint64(at, true);
      out[r] = n;
    });
    return out;
  }

  /** Called from poll() with each new flow the router saw. */
  onFlowMiss(handler: (event: FlowEvent) => void): void {
    this.#flowMiss.push(handler);
  }

  /** Called from poll() with each packet a punt route sent to the controller. */
  onPunt(handler: (packet: PuntedPacket) => void): void {
    this.#punted.push(handler);
  }

  /**
   * Lets waiting traffic move, mirrors the kernel's route and neighbour changes into the maps
   * (on a platform that follows them), then hands flow-miss events and punted packets to the
   * handlers; returns how many of each. Call it from the controller's loop (or a timer).
   */
  poll(): { flowMisses: number; punted: number; tableChanges: number } {
    this.platform.settle();
    const changes = this.platform.tableChanges?.() ?? [];
    for (const c of changes) this.#mirror(c);
    const events = this.platform.drainRingBuffer(this.collection, 'flow_events').map(decodeFlowEvent);
    for (const e of events) for (const h of this.#flowMiss) h(e);
    let punted = 0;
    for (const b of this.#bound.values())
      if (b.punt !== undefined) punted += this.#takePunted(b.device, b.punt);
    return { flowMisses: events.length, punted, tableChanges: changes.length };
  }

  /**
   * One kernel table change into the maps: a route out of a bound interface becomes a route of
   * the router (another one, or a deleted one, leaves it); a neighbour its MAC; an address of
   * this host (on any interface) a /32 route to the stack.
   */
  #mirror(c: TableChange): void {
    if (c.kind === 'address') {
      const prefix = `${c.address}/32`;
      if (c.action === 'add') this.setRoute({ prefix, local: true });
      else this.deleteRoute(prefix);
      return;
    }
    if (c.kind === 'neighbour') {
      if (c.action === 'add' && c.mac !== undefined) this.setNeighbour(c.address, c.mac);
      else this.deleteNeighbour(c.address);
      return;
    }
    if (c.action === 'delete') {
      if (this.#kernelRoutes.get(c.prefix)?.ifindex === c.ifindex) this.#kernelRoutes.delete(c.prefix);
      this.deleteRoute(c.prefix);
      return;
    }
    this.#kernelRoutes.set(c.prefix, c);
    if (this.#bound.has(c.ifindex))
      this.setRoute({ prefix: c.prefix, dev: c.ifindex, ...(c.via === undefined ? {} : { via: c.via }) });
    else this.deleteRoute(c.prefix);
  }

  #takePunted(device: PlatformDevice, { socket }: PuntSocket): number {
    const got = socket.rx.peek(socket.rx.size);
    if (got.count === 0) return 0;
    const addrs: number[] = [];
    for (let k = 0; k < got.count; k++) {
      const d = socket.rx.desc(got.idx + k);
      const packet = { device: device.name, data: socket.umem.bytes.slice(d.addr, d.addr + d.len) };
      addrs.push(d.addr - (d.addr % socket.umem.geometry.chunkSize));
      for (const h of this.#punted) h(packet);
    }
    socket.rx.release(got.count);
    // The frames go back to FILL for the next packets.
    const at = socket.fill.reserve(addrs.length);
    if (at >= 0) {
      for (const [k, a] of addrs.entries()) socket.fill.setAddr(at + k, a);
      socket.fill.submit(addrs.length);
    }
    return got.count;
  }

  #deleted(f: () => void): boolean {
    try {
      f();
      return true;
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return false;
      throw e;
    }
  }

  /** Unbinds every interface (detaching the programs, removing the kernel's pins) and releases all. */
  close(): void {
    if (this.#closed) return;
    for (const ifindex of [...this.#bound.keys()]) this.unbind(ifindex);
    this.#let();
  }

  /**
   * Ends this controller but leaves the data plane forwarding: nothing is detached, and on the
   * kernel the pinned links, programs and maps stay for the next controller to adopt. Punted
   * packets have no reader until then (their sockets close).
   */
  release(): void {
    if (this.#closed) return;
    for (const b of this.#bound.values()) b.punt?.socket.close();
    this.#bound.clear();
    this.#let();
  }

  #let(): void {
    this.platform.release?.();
    this.collection.close();
    this.#closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
