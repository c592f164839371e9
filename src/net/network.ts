// A simulated network: devices (veth pairs or devices with a wire), the programs attached to
// them, and the run that feeds their RX queues through XDP/TC until nothing is left to do. The
// collection(s) the programs come from are loaded with `network.loadOptions()`, so that the
// ifindexes and queues they see (ingress_ifindex checks, devmap/xskmap updates) are the network's.
//
//   const net = new Network();
//   const eth0 = net.addDevice({ name: 'eth0', queues: 2 });
//   using c = load(spec, net.loadOptions());
//   net.attach(eth0, 'xdp', c.program('xdp_prog'));
//   net.inject(eth0, readPcap(bytes).packets);
//   net.run();                 // eth0.stats, eth0.wire, eth0.received ...

import { NotSupportedError, TsbpfError } from '../errors.js';
import { SKB_SHARED_INFO_SIZE } from '../runtime/context/types.js';
import { XDP_PACKET_HEADROOM } from '../runtime/context/xdp.js';
import type { VmProgram } from '../runtime/vm/program.js';
import { ETH_HLEN } from '../uapi/ethernet.js';
import { PAGE_SIZE } from '../uapi/page.js';
import { BPF_F_XDP_HAS_FRAGS } from '../uapi/sections.js';
import { ContextPool } from './contexts.js';
import { type CpumapStats, Datapath, type DumpEvent } from './datapath.js';
import { type DeviceOptions, type Frame, NetDevice } from './device.js';
import { type XdpDispatchEntry, XdpDispatcher } from './dispatcher.js';
import { XskRegistry } from './xsk-port.js';

/** PAGE_SIZE less XDP_PACKET_HEADROOM and the shared-info tailroom: the linear part of a frame. */
const XDP_MAX_LINEAR = PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO_SIZE;

export interface NetworkOptions {
  /** Virtual CPUs: RX queue q is polled on CPU q % cpus (per-CPU maps, cpumap). Default 2, as load()'s. */
  readonly cpus?: number;
  /** Keep the frames each device sent (`wire`) and its stack received (`received`); default true. */
  readonly capture?: boolean;
  /** Called with every frame at an XDP program's entry and exit (an xdpdump). */
  readonly dump?: (event: DumpEvent) => void;
}

export interface RunOptions {
  /** Stop after this many NAPI polls (a topology can bounce frames forever); default 1e6. */
  readonly maxPolls?: number;
}

export interface RunResult {
  /** NAPI polls done (device queues and cpumap batches). */
  readonly polls: number;
  /** Frames taken off RX queues. */
  readonly frames: number;
  /** false: stopped by maxPolls with frames still queued. */
  readonly idle: boolean;
}

/** The hooks of a device. */
export type Hook = 'xdp' | 'tc-ingress' | 'tc-egress';

/** The ifindex of the first device: 1 is lo, as in a fresh network namespace. */
const FIRST_IFINDEX = 2;

export class Network {
  readonly cpus: number;
  readonly capture: boolean;
  /** ifindex -> RX queues of every device and lo (the collections' `interfaces`). */
  readonly interfaces = new Map<number, number>([[1, 1]]);
  /** The AF_XDP sockets bound to the devices (net/afxdp registers them here). */
  readonly sockets = new XskRegistry();
  readonly dump: ((e: DumpEvent) => void) | undefined;
  readonly #devices = new Map<number, NetDevice>();
  /** The devices in ifindex order, for run()'s rounds (an array: a Map iterator per round showed per poll). */
  readonly #order: NetDevice[] = [];
  readonly #byName = new Map<string, NetDevice>();
  /** @internal */
  readonly contexts = new ContextPool();
  readonly #path: Datapath;

  constructor(options: NetworkOptions = {}) {
    this.cpus = options.cpus ?? 2;
    if (!Number.isInteger(this.cpus) || this.cpus < 1)
      throw new TsbpfError('INVALID_ARGUMENT', `cpus ${this.cpus} (at least 1)`);
    this.capture = options.capture ?? true;
    this.dump = options.dump;
    this.#path = new Datapath(this);
  }

  /** Adds a device with a wire (what it transmits is kept in `wire`). */
  addDevice(options: DeviceOptions): NetDevice {
    if (this.#byName.has(options.name))
      throw new TsbpfError('INVALID_ARGUMENT', `device '${options.name}' exists`);
    const ifindex = FIRST_IFINDEX + this.#devices.size;
    const dev = new NetDevice(options, ifindex, (d, frame) =>
      this.#path.wireOut(d, { data: frame, timestamp: 0n }),
    );
    this.#devices.set(ifindex, dev);
    this.#order.push(dev);
    this.#byName.set(dev.name, dev);
    this.interfaces.set(ifindex, dev.queues);
    this.sockets.addDevice(dev);
    return dev;
  }

  /** Adds a veth pair: what one end transmits, the other receives. */
  addVethPair(a: DeviceOptions, b: DeviceOptions): [NetDevice, NetDevice] {
    if (a.name === b.name) throw new TsbpfError('INVALID_ARGUMENT', `veth ends both named '${a.name}'`);
    const x = this.addDevice(a);
    const y = this.addDevice(b);
    x.peer = y;
    y.peer = x;
    return [x, y];
  }

  /** The device named or numbered so (a TsbpfError naming the devices when there is none). */
  device(nameOrIfindex: string | number): NetDevice {
    const d =
      typeof nameOrIfindex === 'number' ? this.#devices.get(nameOrIfindex) : this.#byName.get(nameOrIfindex);
    if (d === undefined)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `no device ${nameOrIfindex} (have ${[...this.#byName.keys()].join(', ') || 'none'})`,
      );
    return d;
  }

  get devices(): readonly NetDevice[] {
    return [...this.#devices.values()];
  }

  /** For load(): the network's interfaces, and devmap/xskmap updates checked against its devices and sockets. */
  loadOptions(): {
    interfaces: ReadonlyMap<number, number>;
    references: { device: (ifindex: number) => boolean; socket: (id: number) => number | undefined };
  } {
    return {
      interfaces: this.interfaces,
      references: { device: (i) => this.#devices.has(i), socket: (id) => this.sockets.byId(id)?.queue },
    };
  }

  /**
   * Attaches `program` at `hook` of `device` (replacing what was there); undefined detaches. For
   * 'xdp', a list of entries makes a dispatcher with libxdp's semantics (priority order,
   * chain-call actions).
   */
  attach(device: NetDevice, hook: Hook, program: VmProgram | readonly XdpDispatchEntry[] | undefined): void {
    if (Array.isArray(program)) {
      if (hook !== 'xdp')
        throw new TsbpfError('INVALID_ARGUMENT', `a dispatcher is for the xdp hook, not ${hook}`);
      const d = new XdpDispatcher(program);
      for (const c of d.chain) this.#check(device, hook, c.program);
      device.xdp = d;
      this.#path.prepare(device);
      return;
    }
    const p = program as VmProgram | undefined;
    if (p !== undefined) this.#check(device, hook, p);
    if (hook === 'xdp') {
      device.xdp = p;
      this.#path.prepare(device);
    } else if (hook === 'tc-ingress') device.tcIngress = p;
    else device.tcEgress = p;
  }

  #check(device: NetDevice, hook: Hook, program: VmProgram): void {
    const want = hook === 'xdp' ? ['XDP'] : ['SCHED_CLS', 'SCHED_ACT'];
    if (!want.includes(program.type))
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `program '${program.name}' is ${program.type}, not for the ${hook} hook`,
      );
    if (program.host.interfaces !== this.interfaces)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `program '${program.name}' was not loaded with this network's loadOptions()`,
      );
    if (hook !== 'xdp') return;
    if (program.spec.attachType !== undefined && program.spec.attachType !== 'XDP')
      throw new NotSupportedError(`attaching a ${program.spec.attachType} program as a device's XDP program`);
    // Drivers refuse a program without BPF_F_XDP_HAS_FRAGS when a frame at the MTU does not
    // fit one page's linear part (veth: "XDP program does not support multi-buffer", EOPNOTSUPP).
    if (!(program.spec.flags & BPF_F_XDP_HAS_FRAGS) && device.mtu + ETH_HLEN > XDP_MAX_LINEAR)
      throw new TsbpfError(
        'INVALID_ARGUMENT',
        `${device.name}: MTU ${device.mtu} needs multi-buffer frames; '${program.name}' is not an xdp.frags program`,
      );
  }

  /** Frames arriving on `device` from its wire, queued by RSS (run() processes them). */
  inject(
    device: NetDevice,
    frames: Iterable<{ readonly data: Uint8Array; readonly timestamp?: bigint }>,
  ): void {
    // A frame with its time is queued as given (the queue reads only data and timestamp): a
    // copy per frame was most of what a large capture cost before the run.
    for (const f of frames)
      this.#path.receive(device, f.timestamp === undefined ? { data: f.data, timestamp: 0n } : (f as Frame));
  }

  /**
   * Sends a frame out of `device` through the stack (TC egress, then the wire or the peer). A
   * veth peer's ring holds 256 frames (VETH_RING_SIZE): more sent between two run() calls are
   * dropped and counted (`rxDropped` of the peer), as the kernel's veth_xmit does.
   */
  send(device: NetDevice, data: Uint8Array, timestamp = 0n): void {
    this.#path.transmit(device, data, timestamp);
  }

  /**
   * Polls every RX queue (64 frames a poll, flushing after each) and lets the cpumap CPUs take
   * their queues, round after round, until nothing is queued (or maxPolls).
   */
  run(options: RunOptions = {}): RunResult {
    const maxPolls = options.maxPolls ?? 1_000_000;
    let polls = 0;
    let frames = 0;
    for (;;) {
      let progress = false;
      for (let d = 0; d < this.#order.length; d++) {
        const dev = this.#order[d]!;
        for (let q = 0; q < dev.queues; q++) {
          if (dev.rx[q]!.length === 0) continue;
          if (polls >= maxPolls) return { polls, frames, idle: false };
          frames += this.#path.poll(dev, q);
          polls++;
          progress = true;
        }
      }
      if (this.#path.cpuPending) {
        if (polls >= maxPolls) return { polls, frames, idle: false };
        this.#path.runCpumaps();
        polls++;
        progress = true;
      }
      if (!progress) return { polls, frames, idle: true };
    }
  }

  /** Frames cpumap CPUs queued, dropped (queue full) and processed. */
  get cpumap(): Readonly<CpumapStats> {
    return this.#path.cpumap;
  }

  /** Frees the contexts the network made in the collections' memory (call before closing them). */
  close(): void {
    this.contexts.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal DatapathHost */
  deviceByIndex(ifindex: number): NetDevice | undefined {
    return this.#devices.get(ifindex);
  }
}

export type { DumpEvent, Frame };
