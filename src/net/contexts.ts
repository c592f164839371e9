// Program contexts a data path reuses: one XdpContext per slot (an RX queue, a cpumap CPU, the
// devmap flush) in each collection's address space, refilled per frame as a driver reuses its
// pages; a batch of them per RX queue for polls run in one call into the engine; one parked
// SkbContext per collection for TC, taken as the spare of the next skb.

import { SkbContext } from '../runtime/context/skb.js';
import { TestRunRefusal } from '../runtime/context/types.js';
import { XdpContext } from '../runtime/context/xdp.js';
import { ContextBatch } from '../runtime/vm/batch.js';
import type { ProgramHost, VmProgram } from '../runtime/vm/program.js';
import { SK_BUFF_SIZE, SkBuff } from '../uapi/context.js';

const MIN_FRAME = new Uint8Array(14);
/** A scratch __sk_buff ctx_in: the device's ifindex. */
const SKB_CTX = new Uint8Array(SK_BUFF_SIZE);
const SKB_VIEW = new DataView(SKB_CTX.buffer);

/** An XDP context for a data path's slot, refilled per frame. */
function freshXdp(host: ProgramHost): XdpContext {
  const made = XdpContext.create('XDP', host.space, {
    data: MIN_FRAME,
    ctx: undefined,
    flags: 0,
    interfaces: host.interfaces,
  });
  if (made instanceof TestRunRefusal) throw new Error(`unreachable: ${made.reason}`);
  return made;
}

/**
 * A slot's key (numbers: a poll looks its slot up without building a string): an RX queue
 * (queues are fewer than 256), the devmap flush, a cpumap CPU.
 */
export type Slot = number;
export const rxSlot = (ifindex: number, queue: number): Slot => ifindex * 256 + queue;
export const DEVMAP_SLOT: Slot = -1;
export const cpumapSlot = (cpu: number): Slot => -2 - cpu;

export class ContextPool {
  readonly #xdp = new Map<ProgramHost, Map<Slot, XdpContext>>();
  readonly #skb = new Map<ProgramHost, SkbContext>();
  readonly #batches = new Map<ProgramHost, Map<Slot, ContextBatch>>();

  /** The XDP context of `slot` for `program`'s collection, made on first use. */
  xdp(program: VmProgram, slot: Slot): XdpContext {
    const host = program.host;
    let slots = this.#xdp.get(host);
    if (slots === undefined) {
      slots = new Map();
      this.#xdp.set(host, slots);
    }
    let ctx = slots.get(slot);
    if (ctx === undefined) {
      ctx = freshXdp(host);
      slots.set(slot, ctx);
    }
    return ctx;
  }

  /** The batch of NAPI_BUDGET XDP contexts of `slot` for `program`'s collection, made on first use. */
  xdpBatch(program: VmProgram, slot: Slot, size: number): ContextBatch {
    const host = program.host;
    let slots = this.#batches.get(host);
    if (slots === undefined) {
      slots = new Map();
      this.#batches.set(host, slots);
    }
    let batch = slots.get(slot);
    if (batch === undefined) {
      batch = new ContextBatch(
        host.space,
        Array.from({ length: size }, () => freshXdp(host)),
      );
      slots.set(slot, batch);
    }
    return batch;
  }

  /**
   * An skb for `program` (a TC program) holding `data` received on (or sent from) `ifindex`,
   * with `metadata` before the data; undefined when the frame cannot be an skb here (over 3712
   * bytes, a truncated IP header). Give it back with `park`.
   */
  skb(
    program: VmProgram,
    data: Uint8Array,
    ifindex: number,
    pktType: number,
    metadata?: Uint8Array,
  ): SkbContext | undefined {
    const host = program.host;
    const spare = this.#skb.get(host);
    SKB_CTX.fill(0);
    SKB_VIEW.setUint32(SkBuff.ifindex!, ifindex, true);
    SKB_VIEW.setUint32(SkBuff.ingress_ifindex!, ifindex, true);
    const made = SkbContext.create(
      program.type,
      host.space,
      // A frame a device received (or a user injected) belongs to no socket: skb->sk is NULL.
      { data, ctx: SKB_CTX, flags: 0, cpu: 0, interfaces: host.interfaces, socket: false },
      spare?.type === program.type ? spare : undefined,
    );
    if (made instanceof TestRunRefusal) return undefined;
    if (spare !== undefined) this.#skb.delete(host);
    if (spare !== undefined && spare.type !== program.type) spare.release();
    const v = host.space.view;
    v.setUint32(made.struct.start + SkBuff.pkt_type!, pktType, true);
    const meta = metadata?.length ?? 0;
    if (meta > 0) {
      if (made.headroom < meta) made.expand(meta, 0);
      host.space.u8.set(metadata!, made.data - meta);
      made.metaLen = meta;
      made.sync();
    }
    return made;
  }

  /** Keeps `skb` parked as its collection's next spare (or frees it when one is kept). */
  park(program: VmProgram, skb: SkbContext): void {
    const host = program.host;
    if (this.#skb.has(host) || host.closed) {
      skb.release();
      return;
    }
    skb.park();
    this.#skb.set(host, skb);
  }

  /** Frees every context (before the collections close). */
  release(): void {
    for (const [host, slots] of this.#xdp) if (!host.closed) for (const c of slots.values()) c.release();
    for (const [host, s] of this.#skb) if (!host.closed) s.release();
    for (const [host, slots] of this.#batches) if (!host.closed) for (const b of slots.values()) b.release();
    this.#batches.clear();
    this.#xdp.clear();
    this.#skb.clear();
  }
}
