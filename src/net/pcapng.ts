// pcapng files in and out (RFC-draft draft-ietf-opsawg-pcapng): sections (SHB) in either byte
// order, interfaces (IDB: link type, snap length, if_name, if_tsresol), Enhanced Packet Blocks
// (timestamps at the interface's resolution, opt_comment, epb_flags, epb_queue) and Simple
// Packet Blocks; other blocks are skipped. Only Ethernet interfaces are read: a packet on any
// other link type is refused by name. Written files are little-endian with nanosecond stamps.

import { LoadError, NotSupportedError } from '../errors.js';
import { LINKTYPE_ETHERNET } from './pcap.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;
const EPB_QUEUE = 6;
/** A block larger than this is corrupt rather than real. */
const MAX_BLOCK = 16 * 1024 * 1024;

/** Link types a capture may name, for the refusal message (tcpdump.org/linktypes.html). */
const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  101: 'RAW (IP without link header)',
  105: 'IEEE802_11',
  113: 'LINUX_SLL (Linux cooked)',
  127: 'IEEE802_11_RADIOTAP',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

export function linkTypeName(t: number): string {
  return LINK_TYPE_NAMES[t] ?? `link type ${t}`;
}

export interface PcapngInterface {
  readonly name?: string;
  readonly linkType: number;
  readonly snapLength: number;
}

export interface PcapngPacket {
  /** Nanoseconds since the epoch. */
  readonly timestamp: bigint;
  readonly data: Uint8Array;
  readonly originalLength: number;
  /** Index into the file's interfaces (over all sections). */
  readonly interface: number;
  readonly comment?: string;
  /** epb_flags: bits 0-1 direction (1 inbound, 2 outbound). */
  readonly flags?: number;
  /** epb_queue: the RX queue. */
  readonly queue?: number;
}

export interface Pcapng {
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
}

const bad = (msg: string) => new LoadError('PCAP_INVALID', `pcapng: ${msg}`);
// Declared here because the ES2022 lib has neither (browsers and Node both have them).
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };
declare const TextEncoder: new () => { encode(text: string): Uint8Array };
const utf8 = new TextDecoder();
const utf8e = new TextEncoder();

/** The nanoseconds per tick of an if_tsresol value (default 10^-6 s). */
function tickNs(resol: number | undefined): { mul: bigint; div: bigint } {
  if (resol === undefined) return { mul: 1000n, div: 1n };
  const e = BigInt(resol & 0x7f);
  const base = resol & 0x80 ? 2n : 10n;
  const perSecond = base ** e;
  return { mul: 1_000_000_000n, div: perSecond };
}

export function readPcapng(bytes: Uint8Array): Pcapng {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const interfaces: PcapngInterface[] = [];
  const ticks: { mul: bigint; div: bigint }[] = [];
  const packets: PcapngPacket[] = [];
  let le = true;
  let sectionBase = 0; // interface ids restart in every section
  let at = 0;
  let sawSection = false;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw bad(`block at byte ${at} truncated`);
    const rawType = view.getUint32(at, true);
    if (rawType === SHB) {
      if (at + 28 > bytes.length) throw bad(`section header at byte ${at} truncated`);
      const magic = view.getUint32(at + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(at + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else throw bad(`section at byte ${at}: bad byte-order magic 0x${magic.toString(16)}`);
      const major = view.getUint16(at + 12, le);
      if (major !== 1) throw bad(`section at byte ${at}: version ${major}.${view.getUint16(at + 14, le)}`);
      sectionBase = interfaces.length;
      sawSection = true;
    } else if (!sawSection) throw bad('file does not start with a section header block');
    const type = view.getUint32(at, le);
    const len = view.getUint32(at + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK || at + len > bytes.length)
      throw bad(`block of type ${type} at byte ${at}: length ${len}`);
    if (view.getUint32(at + len - 4, le) !== len) throw bad(`block at byte ${at}: trailing length differs`);
    const body = at + 8;
    const end = at + len - 4;
    const options = (from: number): Map<number, Uint8Array[]> => {
      const out = new Map<number, Uint8Array[]>();
      let p = from;
      while (p + 4 <= end) {
        const code = view.getUint16(p, le);
        const n = view.getUint16(p + 2, le);
        if (code === OPT_END) break;
        if (p + 4 + n > end) throw bad(`block at byte ${at}: option ${code} overruns the block`);
        const list = out.get(code) ?? [];
        list.push(bytes.subarray(p + 4, p + 4 + n));
        out.set(code, list);
        p += 4 + Math.ceil(n / 4) * 4;
      }
      return out;
    };
    if (type === IDB) {
      if (end - body < 8) throw bad(`interface block at byte ${at} truncated`);
      const opts = options(body + 8);
      const name = opts.get(IF_NAME)?.[0];
      const resol = opts.get(IF_TSRESOL)?.[0]?.[0];
      interfaces.push({
        ...(name === undefined ? {} : { name: utf8.decode(name).replace(/\0+$/, '') }),
        linkType: view.getUint16(body, le),
        snapLength: view.getUint32(body + 4, le),
      });
      ticks.push(tickNs(resol));
    } else if (type === EPB || type === SPB) {
      const n = packets.length;
      const ifIndex = type === EPB ? sectionBase + view.getUint32(body, le) : sectionBase;
      const iface = interfaces[ifIndex];
      if (iface === undefined)
        throw bad(`packet ${n} names interface ${ifIndex - sectionBase}, which is not defined`);
      if (iface.linkType !== LINKTYPE_ETHERNET)
        throw new NotSupportedError(
          `pcapng packets on ${linkTypeName(iface.linkType)} interfaces`,
          'only Ethernet (LINKTYPE_ETHERNET) frames can enter a device',
        );
      if (type === SPB) {
        const orig = view.getUint32(body, le);
        const cap = Math.min(orig, iface.snapLength || orig, end - body - 4);
        packets.push({
          timestamp: 0n,
          data: bytes.slice(body + 4, body + 4 + cap),
          originalLength: orig,
          interface: ifIndex,
        });
      } else {
        const hi = view.getUint32(body + 4, le);
        const lo = view.getUint32(body + 8, le);
        const cap = view.getUint32(body + 12, le);
        const orig = view.getUint32(body + 16, le);
        const dataAt = body + 20;
        if (dataAt + cap > end) throw bad(`packet ${n}: ${cap} captured bytes overrun the block`);
        const t = ticks[ifIndex]!;
        const opts = options(dataAt + Math.ceil(cap / 4) * 4);
        const comment = opts.get(OPT_COMMENT)?.[0];
        const flags = opts.get(EPB_FLAGS)?.[0];
        const queue = opts.get(EPB_QUEUE)?.[0];
        const word = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, le);
        packets.push({
          timestamp: ((BigInt(hi) * 2n ** 32n + BigInt(lo)) * t.mul) / t.div,
          data: bytes.slice(dataAt, dataAt + cap),
          originalLength: orig,
          interface: ifIndex,
          ...(comment === undefined ? {} : { comment: utf8.decode(comment) }),
          ...(flags === undefined || flags.length < 4 ? {} : { flags: word(flags) }),
          ...(queue === undefined || queue.length < 4 ? {} : { queue: word(queue) }),
        });
      }
    }
    at += len;
  }
  if (!sawSection) throw bad('empty file');
  return { interfaces, packets };
}

/** Encodes options (each padded to 4) ending with opt_endofopt; empty when there are none. */
function encodeOptions(opts: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  const size = opts.reduce((n, [, v]) => n + 4 + Math.ceil(v.length / 4) * 4, 4);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let p = 0;
  for (const [code, value] of opts) {
    v.setUint16(p, code, true);
    v.setUint16(p + 2, value.length, true);
    out.set(value, p + 4);
    p += 4 + Math.ceil(value.length / 4) * 4;
  }
  return out;
}

const u32le = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

function block(type: number, body: Uint8Array): Uint8Array {
  const len = 12 + Math.ceil(body.length / 4) * 4;
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, len, true);
  out.set(body, 8);
  v.setUint32(len - 4, len, true);
  return out;
}

/** Writes one little-endian section: the interfaces (nanosecond if_tsresol), then EPBs. */
export function writePcapng(capture: {
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
}): Uint8Array {
  const parts: Uint8Array[] = [];
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, BYTE_ORDER_MAGIC, true);
  sv.setUint16(4, 1, true);
  sv.setUint16(6, 0, true);
  sv.setBigInt64(8, -1n, true); // section length unknown
  parts.push(block(SHB, shb));
  for (const i of capture.interfaces) {
    const head = new Uint8Array(8);
    const hv = new DataView(head.buffer);
    hv.setUint16(0, i.linkType, true);
    hv.setUint32(4, i.snapLength, true);
    const opts: [number, Uint8Array][] = [[IF_TSRESOL, Uint8Array.of(9)]];
    if (i.name !== undefined) opts.unshift([IF_NAME, utf8e.encode(i.name)]);
    parts.push(block(IDB, concat(head, encodeOptions(opts))));
  }
  for (const p of capture.packets) {
    if (capture.interfaces[p.interface] === undefined)
      throw new LoadError(
        'PCAP_INVALID',
        `pcapng: packet names interface ${p.interface}, which is not defined`,
      );
    const head = new Uint8Array(20);
    const hv = new DataView(head.buffer);
    hv.setUint32(0, p.interface, true);
    hv.setUint32(4, Number(p.timestamp >> 32n), true);
    hv.setUint32(8, Number(p.timestamp & 0xffffffffn), true);
    hv.setUint32(12, p.data.length, true);
    hv.setUint32(16, Math.max(p.originalLength, p.data.length), true);
    const padded = new Uint8Array(Math.ceil(p.data.length / 4) * 4);
    padded.set(p.data);
    const opts: [number, Uint8Array][] = [];
    if (p.comment !== undefined) opts.push([OPT_COMMENT, utf8e.encode(p.comment)]);
    if (p.flags !== undefined) opts.push([EPB_FLAGS, u32le(p.flags)]);
    if (p.queue !== undefined) opts.push([EPB_QUEUE, u32le(p.queue)]);
    parts.push(block(EPB, concat(head, padded, encodeOptions(opts))));
  }
  return concat(...parts);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
