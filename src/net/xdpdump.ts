// An xdpdump-style capture: every frame at an XDP program's entry and exit, kept as pcapng
// packets with one interface per device, the queue (epb_queue), the direction flag (inbound) and
// a comment naming the program, the point and, at exit, the verdict (as xdpdump's
// --rx-capture entry,exit records them). Pass `capture.record` as the Network's `dump`.

import { verdictName } from '../uapi/verdicts.js';
import type { DumpEvent } from './datapath.js';
import { LINKTYPE_ETHERNET } from './pcap.js';
import { type PcapngInterface, type PcapngPacket, writePcapng } from './pcapng.js';

const EPB_INBOUND = 1;

export class XdpDump {
  readonly #interfaces: PcapngInterface[] = [];
  readonly #byIfindex = new Map<number, number>();
  readonly packets: PcapngPacket[] = [];
  /** Stop keeping packets past this many (a long run); later ones are counted in `dropped`. */
  readonly limit: number;
  dropped = 0;

  constructor(options: { readonly limit?: number } = {}) {
    this.limit = options.limit ?? 1_000_000;
  }

  /** The Network's dump callback. */
  readonly record = (e: DumpEvent): void => {
    if (this.packets.length >= this.limit) {
      this.dropped++;
      return;
    }
    let iface = this.#byIfindex.get(e.device.ifindex);
    if (iface === undefined) {
      iface = this.#interfaces.length;
      this.#interfaces.push({ name: e.device.name, linkType: LINKTYPE_ETHERNET, snapLength: 262144 });
      this.#byIfindex.set(e.device.ifindex, iface);
    }
    const comment =
      e.point === 'entry' ? `${e.program}@entry` : `${e.program}@exit: ${verdictName('XDP', e.action ?? -1)}`;
    this.packets.push({
      timestamp: e.timestamp,
      data: e.point === 'entry' ? e.data.slice() : e.data,
      originalLength: e.data.length,
      interface: iface,
      comment,
      flags: EPB_INBOUND,
      queue: e.queue,
    });
  };

  /** The capture as a pcapng file. */
  toPcapng(): Uint8Array {
    return writePcapng({ interfaces: this.#interfaces, packets: this.packets });
  }
}
