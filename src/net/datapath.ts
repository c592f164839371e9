// XDP and TC processing as the kernel does it, over a Network's devices. A NAPI poll takes up
// to 64 frames of one RX queue (the budget), runs the device's XDP program on each and acts on
// the verdict; redirects are queued in bulk and sent at the flush points of the kernel:
//  - devices (bpf_redirect, devmap, devmap hash): a bulk queue per (target, devmap program) of
//    16 frames (DEV_MAP_BULK_SIZE), sent when a 17th arrives and at the end of the poll; the
//    devmap entry's program runs on the bulk when it is sent (bq_xmit_all, egress_ifindex set);
//  - CPUs (cpumap): a bulk queue per target CPU of 8 (CPU_MAP_BULK_SIZE) moved to the entry's
//    queue of `qsize` frames (full: dropped) when full and at the end of the poll; the target CPU
//    then takes its queue 8 at a time (CPUMAP_BATCH), runs the entry's program, and builds skbs;
//  - AF_XDP sockets (xskmap): delivered at once, published at the end of the poll;
//  - XDP_TX: a bulk of 16 per queue (veth's VETH_XDP_TX_BULK_SIZE) sent at the end of the poll.
// XDP_PASS builds an skb that passes TC ingress (with the XDP metadata) into the stack. Sources:
// net/core/dev.c, net/core/filter.c (xdp_do_redirect), kernel/bpf/devmap.c, kernel/bpf/cpumap.c,
// net/xdp/xsk.c, drivers/net/veth.c.

import { TsbpfError } from '../errors.js';
import { XdpContext } from '../runtime/context/xdp.js';
import { CpuMap } from '../runtime/maps/cpumap.js';
import { DevMap } from '../runtime/maps/devmap.js';
import { DevMapHash } from '../runtime/maps/devmap-hash.js';
import { XskMap } from '../runtime/maps/xskmap.js';
import type { RedirectOutcome } from '../runtime/vm/batch.js';
import type { VmProgram } from '../runtime/vm/program.js';
import { ETH_HLEN, VLAN_HLEN } from '../uapi/ethernet.js';
import { tcOutcome, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } from './actions.js';
import { type ContextPool, cpumapSlot, DEVMAP_SLOT, rxSlot } from './contexts.js';
import type { Frame, NetDevice } from './device.js';
import { XdpDispatcher } from './dispatcher.js';
import { rssQueue } from './rss.js';
import type { XskPort, XskRegistry } from './xsk-port.js';

/** NAPI_POLL_WEIGHT. */
export const NAPI_BUDGET = 64;
/** DEV_MAP_BULK_SIZE (kernel/bpf/devmap.c). */
export const DEV_MAP_BULK_SIZE = 16;
/** CPU_MAP_BULK_SIZE and CPUMAP_BATCH (kernel/bpf/cpumap.c). */
export const CPU_MAP_BULK_SIZE = 8;
export const CPUMAP_BATCH = 8;
/** VETH_XDP_TX_BULK_SIZE and VETH_RING_SIZE (drivers/net/veth.c). */
export const VETH_XDP_TX_BULK_SIZE = 16;
export const VETH_RING_SIZE = 256;
/** XMIT_RECURSION_LIMIT: nested TC redirects before the kernel drops the skb. */
const XMIT_RECURSION_LIMIT = 8;
/**
 * RX queues whose contexts attach makes: a batch takes ~4.6 MiB of the collection's 4 GiB address
 * space (64 pages and their guard gaps), so a 256-queue device's would take 1.2 GiB up front.
 */
const PREPARED_QUEUES = 16;
const BPF_F_BROADCAST = 8n;
const BPF_F_EXCLUDE_INGRESS = 16n;

/** One step of an xdpdump capture: a frame at a program's entry or exit. */
export interface DumpEvent {
  readonly device: NetDevice;
  readonly queue: number;
  readonly point: 'entry' | 'exit';
  readonly data: Uint8Array;
  /** The verdict (exit only). */
  readonly action?: number;
  readonly program: string;
  readonly timestamp: bigint;
}

/** What a Network gives the data path. */
export interface DatapathHost {
  deviceByIndex(ifindex: number): NetDevice | undefined;
  readonly sockets: XskRegistry;
  readonly contexts: ContextPool;
  readonly cpus: number;
  readonly capture: boolean;
  readonly dump: ((e: DumpEvent) => void) | undefined;
}

interface DevBulk {
  readonly target: NetDevice;
  readonly program: VmProgram | undefined;
  readonly frames: Frame[];
  /** The receiving device of the frames (xdp_frame->dev_rx) and the CPU that queued them. */
  rx: NetDevice;
  cpu: number;
}

interface CpuFrame extends Frame {
  readonly rx: NetDevice;
}

interface CpuQueue {
  readonly qsize: number;
  readonly program: VmProgram | undefined;
  readonly frames: CpuFrame[];
  drops: number;
}

/** Counters of the cpumap CPUs: frames queued, dropped (queue full), processed. */
export interface CpumapStats {
  enqueued: number;
  dropped: number;
  processed: number;
}

const headerRoom = ETH_HLEN + VLAN_HLEN;
/** The bytes of a frame the stack only counts (see #passToStack). */
const NOTHING = new Uint8Array(0);

/** PACKET_HOST / BROADCAST / MULTICAST / OTHERHOST as eth_type_trans() sets them for `dev`. */
function pktType(dev: NetDevice, data: Uint8Array): number {
  if (data[0]! & 1) return data.subarray(0, 6).every((b) => b === 0xff) ? 1 : 2;
  for (let i = 0; i < 6; i++) if (data[i] !== dev.mac[i]) return 3;
  return 0;
}

export class Datapath {
  readonly #host: DatapathHost;
  /** The flush lists of the current poll (bq_list, cpu flush list, xsk flush list). */
  readonly #devBulks = new Map<NetDevice, Map<VmProgram | undefined, DevBulk>>();
  readonly #cpuBulks = new Map<string, { frames: CpuFrame[]; queue: CpuQueue }>();
  readonly #xskFlush = new Set<XskPort>();
  /** The frames of the poll in progress when they are not in one chunk of the queue (polls do not nest): reused, so a poll allocates no array. */
  readonly #pollFrames: Frame[] = [];
  /** XDP_TX bulk of the queue being polled. */
  readonly #txBulk: Frame[] = [];
  /** cpumap queues by (map id, cpu): one kthread each. */
  readonly #cpuQueues = new Map<string, CpuQueue & { cpu: number }>();
  readonly cpumap: CpumapStats = { enqueued: 0, dropped: 0, processed: 0 };
  #depth = 0;
  /** Whether a frame went to a bulk queue or a socket since the last flush. */
  #queued = false;

  constructor(host: DatapathHost) {
    this.#host = host;
  }

  /** Whether a cpumap CPU has frames waiting. */
  get cpuPending(): boolean {
    if (this.#cpuQueues.size === 0) return false;
    for (const q of this.#cpuQueues.values()) if (q.frames.length > 0) return true;
    return false;
  }

  /**
   * A frame arriving on `dev` (from the wire or a peer): queued by RSS, or dropped and counted
   * (above MTU + Ethernet and VLAN headers, as is_skb_forwardable and NIC RX buffers refuse; a
   * full ring).
   */
  receive(dev: NetDevice, frame: Frame, queue = rssQueue(frame.data, dev.queues), limit = Infinity): boolean {
    const q = dev.rx[queue]!;
    if (q.length >= limit || frame.data.length > dev.mtu + headerRoom) {
      dev.stats.rxDropped++;
      return false;
    }
    q.push(frame);
    return true;
  }

  /** One NAPI poll of `dev`'s RX queue `queue`: up to 64 frames, then the flush. Returns frames done. */
  poll(dev: NetDevice, queue: number): number {
    const rx = dev.rx[queue]!;
    const n = rx.take(NAPI_BUDGET, this.#pollFrames);
    const frames = rx.taken;
    const at = rx.takenAt;
    const cpu = queue % this.#host.cpus;
    const prog = dev.xdp;
    if (this.#batched(prog)) this.#runXdpBatch(prog, dev, queue, cpu, frames, at, n);
    else
      for (let k = 0; k < n; k++) {
        const frame = frames[at + k]!;
        dev.stats.rxPackets++;
        dev.stats.rxBytes += frame.data.length;
        if (prog === undefined) this.stackReceive(dev, frame.data, frame.timestamp, undefined);
        else this.#runXdp(prog, dev, queue, cpu, frame);
      }
    this.#flushTx(dev, cpu);
    this.flush(cpu);
    return n;
  }

  /** Whether polls run `prog` over their frames in one call into its engine (#runXdpBatch). */
  #batched(prog: VmProgram | XdpDispatcher | undefined): prog is VmProgram {
    return (
      prog !== undefined &&
      !(prog instanceof XdpDispatcher) &&
      this.#host.dump === undefined &&
      prog.engine.runBatch !== undefined &&
      prog.batchable
    );
  }

  /**
   * Makes the contexts `dev`'s XDP program runs on in its first PREPARED_QUEUES RX queues (a
   * poll's batch, or the one context of the frame-by-frame path), as a driver allocates its RX
   * ring pages when a program is attached rather than at the first packet: 64 fresh contexts
   * touch ~130 fresh pages, which cost more than a thousand frames' runs. Further queues get
   * theirs at their first poll, as before.
   */
  prepare(dev: NetDevice): void {
    const prog = dev.xdp;
    if (prog === undefined) return;
    const batched = this.#batched(prog);
    const first = prog instanceof XdpDispatcher ? prog.first : prog;
    if (first.host.closed) return; // its runs fail; nothing to allocate in a freed space
    for (let q = 0; q < Math.min(dev.queues, PREPARED_QUEUES); q++) {
      const slot = rxSlot(dev.ifindex, q);
      if (batched) this.#host.contexts.xdpBatch(first, slot, NAPI_BUDGET);
      else this.#host.contexts.xdp(first, slot);
    }
  }

  #runXdp(hooked: VmProgram | XdpDispatcher, dev: NetDevice, queue: number, cpu: number, frame: Frame): void {
    const chain = hooked instanceof XdpDispatcher ? hooked : undefined;
    let prog = chain === undefined ? (hooked as VmProgram) : chain.first;
    const ctx = this.#host.contexts.xdp(prog, rxSlot(dev.ifindex, queue));
    ctx.refill(frame.data, dev.ifindex, queue);
    const dump = this.#host.dump;
    if (dump !== undefined)
      dump({
        device: dev,
        queue,
        point: 'entry',
        data: frame.data,
        program: hooked.name,
        timestamp: frame.timestamp,
      });
    let action: number;
    try {
      if (chain === undefined) action = prog.runOn(ctx, cpu);
      else ({ action, program: prog } = chain.run(ctx, cpu));
    } catch (e) {
      if (e instanceof TsbpfError)
        e.message = `${e.message} (XDP program '${hooked.name}' on ${dev.name} queue ${queue})`;
      throw e;
    }
    if (dump !== undefined)
      dump({
        device: dev,
        queue,
        point: 'exit',
        data: ctx.packet(),
        action,
        program: hooked.name,
        timestamp: frame.timestamp,
      });
    this.#act(action, prog, undefined, dev, queue, cpu, frame, ctx);
  }

  /**
   * A poll's frames through one program in one call into its engine (Engine.runBatch), then the
   * verdicts acted on in frame order. The kernel's drivers act on each verdict before the next
   * frame's run; the difference shows only to programs that share a map with a program run in
   * acting (a devmap entry's, TC ingress after XDP_PASS): those see this poll's XDP runs done.
   */
  #runXdpBatch(
    prog: VmProgram,
    dev: NetDevice,
    queue: number,
    cpu: number,
    frames: readonly Frame[],
    at: number,
    n: number,
  ): void {
    const batch = this.#host.contexts.xdpBatch(prog, rxSlot(dev.ifindex, queue), NAPI_BUDGET);
    const stats = dev.stats;
    const ctxs = batch.contexts;
    stats.rxPackets += n;
    stats.rxBytes += XdpContext.refillAll(ctxs, frames, at, n, dev.ifindex, queue);
    try {
      prog.runBatch(batch, n, cpu);
    } catch (e) {
      if (e instanceof TsbpfError)
        e.message = `${e.message} (XDP program '${prog.name}' on ${dev.name} queue ${queue})`;
      throw e;
    }
    let actions = batch.results();
    // Drops need nothing but their count: added once for the poll (no program reads it
    // meanwhile); so do passes when the stack only counts them (#passToStack: no TC ingress
    // program, no capture).
    const countPasses = this.#stackCounts(dev);
    let drops = 0;
    let passes = 0;
    for (let k = 0; k < n; k++) {
      const action = actions[k]!;
      if (action === XDP_DROP) drops++;
      else if (action === XDP_PASS && countPasses) passes++;
      else {
        this.#act(action, prog, batch.redirects[k]!, dev, queue, cpu, frames[at + k]!, ctxs[k]!);
        actions = batch.results(); // acting may grow the memory (an skb), which detaches the view
      }
    }
    stats.xdp.DROP += drops;
    stats.xdp.PASS += passes;
    stats.stack += passes;
  }

  /**
   * What the kernel does with an XDP verdict (`redirect`: where the run pointed; undefined:
   * where `prog`'s last run did, read only for a redirect since reading it makes an object).
   */
  #act(
    action: number,
    prog: VmProgram,
    redirect: RedirectOutcome | undefined,
    dev: NetDevice,
    queue: number,
    cpu: number,
    frame: Frame,
    ctx: XdpContext,
  ): void {
    const s = dev.stats;
    switch (action) {
      case XDP_DROP:
        s.xdp.DROP++;
        return;
      case XDP_PASS:
        s.xdp.PASS++;
        this.#passToStack(dev, ctx, frame.timestamp);
        return;
      case XDP_TX:
        s.xdp.TX++;
        this.#txBulk.push({ data: ctx.packet(), timestamp: frame.timestamp });
        if (this.#txBulk.length === VETH_XDP_TX_BULK_SIZE) this.#flushTx(dev, cpu);
        return;
      case XDP_REDIRECT:
        s.xdp.REDIRECT++;
        if (
          !this.#redirect(
            prog,
            redirect ?? prog.redirect,
            dev,
            { data: ctx.packet(), timestamp: frame.timestamp },
            cpu,
            queue,
          )
        ) {
          s.redirectErrors++;
        }
        return;
      case XDP_ABORTED:
        s.xdp.ABORTED++;
        s.xdpExceptions++;
        return;
      default:
        // bpf_warn_invalid_xdp_action, then as ABORTED.
        s.xdp.INVALID++;
        s.xdpExceptions++;
    }
  }

  /** xdp_do_redirect: the target the program chose. false: the redirect failed (frame dropped). */
  #redirect(
    prog: VmProgram,
    r: RedirectOutcome,
    dev: NetDevice,
    frame: Frame,
    cpu: number,
    queue: number,
  ): boolean {
    const stats = dev.stats;
    if (r.map === undefined) {
      const target = this.#host.deviceByIndex(r.ifindex);
      return target !== undefined && this.#devEnqueue(target, undefined, frame, dev, cpu);
    }
    const map = prog.host.registry.byId(r.map);
    const key = r.ifindex;
    if (map instanceof DevMap || map instanceof DevMapHash) {
      if (r.flags & BPF_F_BROADCAST)
        return this.#broadcast(prog, map, dev, frame, (r.flags & BPF_F_EXCLUDE_INGRESS) !== 0n, cpu);
      const e = map.entry(key);
      const target = e === undefined ? undefined : this.#host.deviceByIndex(e.ifindex);
      if (target === undefined) return false;
      return this.#devEnqueue(target, this.#entryProgram(prog, e!.program), frame, dev, cpu);
    }
    if (map instanceof CpuMap) {
      const e = map.entry(key);
      if (e === undefined) return false;
      this.#cpuEnqueue(r.map, key, e.qsize, this.#entryProgram(prog, e.program), { ...frame, rx: dev });
      stats.redirects[`cpu ${key}`] = (stats.redirects[`cpu ${key}`] ?? 0) + 1;
      return true;
    }
    if (map instanceof XskMap) {
      const id = map.socketAt(key);
      const port = id === undefined ? undefined : this.#host.sockets.byId(id);
      // xsk_rcv_check: the socket must be bound to this device and queue.
      if (port === undefined || port.ifindex !== dev.ifindex || port.queue !== queue) return false;
      const name = `xsk ${dev.name}/${queue}`;
      stats.redirects[name] = (stats.redirects[name] ?? 0) + 1;
      this.#xskFlush.add(port);
      this.#queued = true;
      return port.deliver(frame.data, { ifindex: dev.ifindex, queue, metadata: new Uint8Array(0) });
    }
    return false;
  }

  #entryProgram(prog: VmProgram, id: number): VmProgram | undefined {
    if (id === 0) return undefined;
    const p = prog.host.programById(id);
    if (p === undefined)
      throw new TsbpfError('INVALID_ARGUMENT', `redirect map entry names program id ${id}, which is gone`);
    return p;
  }

  /** dev_map_enqueue_multi: a copy to every entry (but the ingress device with EXCLUDE_INGRESS). */
  #broadcast(
    prog: VmProgram,
    map: DevMap | DevMapHash,
    dev: NetDevice,
    frame: Frame,
    excludeIngress: boolean,
    cpu: number,
  ): boolean {
    for (const [key] of map.entries()) {
      const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
      const e = map.entry(k);
      const target = e === undefined ? undefined : this.#host.deviceByIndex(e.ifindex);
      if (target === undefined || (excludeIngress && target === dev)) continue;
      // A target that cannot take it fails alone (counted there); the broadcast itself succeeds.
      if (
        !this.#devEnqueue(
          target,
          this.#entryProgram(prog, e!.program),
          { ...frame, data: frame.data.slice() },
          dev,
          cpu,
        )
      )
        dev.stats.redirectErrors++;
    }
    return true;
  }

  /** __xdp_enqueue / bq_enqueue: checks the target, then the bulk queue (sent first when full). */
  #devEnqueue(
    target: NetDevice,
    program: VmProgram | undefined,
    frame: Frame,
    rx: NetDevice,
    cpu: number,
  ): boolean {
    // NETDEV_XDP_ACT_NDO_XMIT (EOPNOTSUPP), then xdp_ok_fwd_dev (EMSGSIZE).
    if (!target.xdpXmitReady || frame.data.length > target.mtu + headerRoom) return false;
    const name = `dev ${target.name}`;
    rx.stats.redirects[name] = (rx.stats.redirects[name] ?? 0) + 1;
    let byProgram = this.#devBulks.get(target);
    if (byProgram === undefined) {
      byProgram = new Map();
      this.#devBulks.set(target, byProgram);
    }
    let bq = byProgram.get(program);
    if (bq === undefined) {
      bq = { target, program, frames: [], rx, cpu };
      byProgram.set(program, bq);
    }
    if (bq.frames.length === DEV_MAP_BULK_SIZE) this.#devXmitAll(bq);
    if (bq.frames.length === 0) {
      bq.rx = rx;
      bq.cpu = cpu;
    }
    bq.frames.push(frame);
    this.#queued = true;
    return true;
  }

  /** bq_xmit_all: the devmap program on each frame, then ndo_xdp_xmit of what it passed. */
  #devXmitAll(bq: DevBulk): void {
    const frames = bq.frames.splice(0);
    let out = frames;
    const prog = bq.program;
    if (prog !== undefined) {
      out = [];
      const ctx = this.#host.contexts.xdp(prog, DEVMAP_SLOT);
      for (const f of frames) {
        ctx.refill(f.data, bq.rx.ifindex, 0);
        ctx.egressIfindex = bq.target.ifindex;
        ctx.sync();
        const act = prog.runOn(ctx, bq.cpu);
        if (act === XDP_PASS) out.push({ data: ctx.packet(), timestamp: f.timestamp });
        else if (act !== XDP_DROP) bq.rx.stats.xdpExceptions++; // invalid here: warned, traced, dropped
      }
    }
    this.#ndoXdpXmit(bq.target, out, bq.cpu);
  }

  /** ndo_xdp_xmit: onto the wire, or into the veth peer's ring (full: dropped and counted). */
  #ndoXdpXmit(dev: NetDevice, frames: readonly Frame[], cpu: number): void {
    for (const f of frames) {
      const peer = dev.peer;
      if (peer === undefined) {
        dev.stats.txPackets++;
        dev.stats.txBytes += f.data.length;
        if (this.#host.capture) dev.wire.push(f);
        continue;
      }
      // veth_xdp_xmit: the peer's queue for this CPU (smp_processor_id % queues).
      if (this.receive(peer, f, cpu % peer.queues, VETH_RING_SIZE)) {
        dev.stats.txPackets++;
        dev.stats.txBytes += f.data.length;
      } else dev.stats.txErrors++;
    }
  }

  /** veth_xdp_flush_bq: XDP_TX frames out of the device they came in on. */
  #flushTx(dev: NetDevice, cpu: number): void {
    if (this.#txBulk.length === 0) return;
    const frames = this.#txBulk.splice(0);
    if (!dev.xdpXmitReady) {
      dev.stats.txErrors += frames.length;
      dev.stats.xdpExceptions += frames.length;
      return;
    }
    this.#ndoXdpXmit(dev, frames, cpu);
  }

  /** cpu_map_enqueue / bq_enqueue: the bulk for the target CPU, moved to its queue when full. */
  #cpuEnqueue(
    mapId: number,
    cpu: number,
    qsize: number,
    program: VmProgram | undefined,
    frame: CpuFrame,
  ): void {
    const key = `${mapId}/${cpu}`;
    let q = this.#cpuQueues.get(key);
    if (q === undefined || q.qsize !== qsize || q.program !== program) {
      // An entry updated: the new one starts with what the old still held (the kernel drains it).
      q = { qsize, program, frames: q?.frames ?? [], drops: 0, cpu };
      this.#cpuQueues.set(key, q);
    }
    let bq = this.#cpuBulks.get(key);
    if (bq === undefined || bq.queue !== q) {
      bq = { frames: bq?.frames ?? [], queue: q };
      this.#cpuBulks.set(key, bq);
    }
    bq.frames.push(frame);
    this.#queued = true;
    if (bq.frames.length === CPU_MAP_BULK_SIZE) this.#cpuFlushToQueue(bq);
  }

  /** bq_flush_to_queue: into the entry's ring of qsize frames; what does not fit is dropped. */
  #cpuFlushToQueue(bq: { frames: CpuFrame[]; queue: CpuQueue }): void {
    for (const f of bq.frames.splice(0)) {
      if (bq.queue.frames.length >= bq.queue.qsize) {
        bq.queue.drops++;
        this.cpumap.dropped++;
      } else {
        bq.queue.frames.push(f);
        this.cpumap.enqueued++;
      }
    }
  }

  /** xdp_do_flush: the end of a poll on `cpu`. */
  flush(_cpu: number): void {
    // Nothing was queued since the last flush (a poll of drops and passes): skip the walk.
    if (!this.#queued) return;
    this.#queued = false;
    for (const byProgram of this.#devBulks.values())
      for (const bq of byProgram.values()) if (bq.frames.length > 0) this.#devXmitAll(bq);
    for (const bq of this.#cpuBulks.values()) if (bq.frames.length > 0) this.#cpuFlushToQueue(bq);
    for (const p of this.#xskFlush) p.flush();
    this.#xskFlush.clear();
  }

  /** The cpumap kthreads: each CPU takes its queue in batches of 8. Returns frames done. */
  runCpumaps(): number {
    let done = 0;
    for (const q of this.#cpuQueues.values()) {
      while (q.frames.length > 0) {
        const batch = q.frames.splice(0, CPUMAP_BATCH);
        for (const f of batch) this.#cpumapFrame(q, f);
        done += batch.length;
        this.cpumap.processed += batch.length;
        this.flush(q.cpu);
      }
    }
    return done;
  }

  /** cpu_map_bpf_prog_run_xdp, then the skb into the stack of the receiving device. */
  #cpumapFrame(q: CpuQueue & { cpu: number }, f: CpuFrame): void {
    const prog = q.program;
    if (prog === undefined) {
      this.stackReceive(f.rx, f.data, f.timestamp, undefined);
      return;
    }
    const ctx = this.#host.contexts.xdp(prog, cpumapSlot(q.cpu));
    ctx.refill(f.data, f.rx.ifindex, 0);
    const act = prog.runOn(ctx, q.cpu);
    switch (act) {
      case XDP_PASS:
        this.#passToStack(f.rx, ctx, f.timestamp);
        return;
      case XDP_REDIRECT:
        if (
          !this.#redirect(prog, prog.redirect, f.rx, { data: ctx.packet(), timestamp: f.timestamp }, q.cpu, 0)
        )
          f.rx.stats.redirectErrors++;
        return;
      case XDP_DROP:
        return;
      default:
        f.rx.stats.xdpExceptions++; // XDP_TX and invalid actions are not allowed here: traced, dropped
    }
  }

  /** An skb arriving at `dev`'s stack: TC ingress (with the XDP metadata), then delivered. */
  stackReceive(dev: NetDevice, data: Uint8Array, timestamp: bigint, metadata: Uint8Array | undefined): void {
    const tc = dev.tcIngress;
    if (tc === undefined) {
      this.#deliver(dev, data, timestamp, metadata);
      return;
    }
    const r = this.#runTc(tc, dev, data, metadata, 'ingress');
    if (r === undefined) return;
    if (r.outcome === 'pass') this.#deliver(dev, r.data, timestamp, metadata);
    else if (r.outcome === 'redirect') this.#tcRedirect(dev, r.data, timestamp, r.ifindex, r.ingress);
  }

  /**
   * XDP_PASS: the frame an XDP program passed (with its metadata) into `dev`'s stack. Its bytes
   * are copied out of the context only when something will look at them: a TC ingress program
   * or the capture. Otherwise the stack just counts it (two copies a frame were most of a
   * passing poll's time).
   */
  #passToStack(dev: NetDevice, ctx: XdpContext, timestamp: bigint): void {
    if (this.#stackCounts(dev)) this.#deliver(dev, NOTHING, timestamp, undefined);
    else this.stackReceive(dev, ctx.packet(), timestamp, ctx.metadata());
  }

  /** Whether `dev`'s stack only counts what XDP passes (no TC ingress program, no capture). */
  #stackCounts(dev: NetDevice): boolean {
    return dev.tcIngress === undefined && !this.#host.capture;
  }

  #deliver(dev: NetDevice, data: Uint8Array, timestamp: bigint, metadata: Uint8Array | undefined): void {
    dev.stats.stack++;
    if (this.#host.capture)
      dev.received.push(
        metadata !== undefined && metadata.length > 0 ? { data, timestamp, metadata } : { data, timestamp },
      );
  }

  /** dev_queue_xmit: TC egress, then onto the wire or to the veth peer (skb path: no ring limit here). */
  transmit(dev: NetDevice, data: Uint8Array, timestamp: bigint): void {
    const tc = dev.tcEgress;
    let out = data;
    if (tc !== undefined) {
      const r = this.#runTc(tc, dev, data, undefined, 'egress');
      if (r === undefined) return;
      if (r.outcome === 'redirect') {
        this.#tcRedirect(dev, r.data, timestamp, r.ifindex, r.ingress);
        return;
      }
      if (r.outcome !== 'pass') return;
      out = r.data;
    }
    this.#wireOut(dev, { data: out, timestamp });
  }

  /** An AF_XDP socket's frame (or a plain send): onto the wire or to the peer, no hooks. */
  wireOut(dev: NetDevice, frame: Frame): boolean {
    return this.#wireOut(dev, frame);
  }

  #wireOut(dev: NetDevice, frame: Frame): boolean {
    if (frame.data.length > dev.mtu + headerRoom) {
      dev.stats.txErrors++;
      return false;
    }
    dev.stats.txPackets++;
    dev.stats.txBytes += frame.data.length;
    const peer = dev.peer;
    if (peer === undefined) {
      if (this.#host.capture) dev.wire.push(frame);
      return true;
    }
    return this.receive(peer, frame, undefined, VETH_RING_SIZE);
  }

  #runTc(
    prog: VmProgram,
    dev: NetDevice,
    data: Uint8Array,
    metadata: Uint8Array | undefined,
    hook: 'ingress' | 'egress',
  ):
    | { outcome: ReturnType<typeof tcOutcome>; data: Uint8Array; ifindex: number; ingress: boolean }
    | undefined {
    const pool = this.#host.contexts;
    const skb = pool.skb(prog, data, dev.ifindex, hook === 'ingress' ? pktType(dev, data) : 4, metadata);
    if (skb === undefined) {
      // Not an skb this model can build (above 3712 bytes, a truncated IP header): dropped, counted.
      dev.stats.rxDropped++;
      return undefined;
    }
    try {
      let r0: number;
      try {
        r0 = prog.runOn(skb, 0);
      } catch (e) {
        if (e instanceof TsbpfError)
          e.message = `${e.message} (TC ${hook} program '${prog.name}' on ${dev.name})`;
        throw e;
      }
      const outcome = tcOutcome(r0);
      (hook === 'ingress' ? dev.stats.tcIngress : dev.stats.tcEgress)[outcome]++;
      const r = prog.redirect;
      return { outcome, data: skb.output(), ifindex: r.ifindex, ingress: (r.flags & 1n) !== 0n };
    } finally {
      pool.park(prog, skb);
    }
  }

  /** skb_do_redirect: into the target's stack (BPF_F_INGRESS) or out of it; loops are cut at 8 levels. */
  #tcRedirect(dev: NetDevice, data: Uint8Array, timestamp: bigint, ifindex: number, ingress: boolean): void {
    const target = this.#host.deviceByIndex(ifindex);
    if (target === undefined || this.#depth >= XMIT_RECURSION_LIMIT) {
      dev.stats.txErrors++;
      return;
    }
    this.#depth++;
    try {
      if (ingress) this.stackReceive(target, data, timestamp, undefined);
      else this.transmit(target, data, timestamp);
    } finally {
      this.#depth--;
    }
  }
}
