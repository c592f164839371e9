// Classic pcap files (libpcap format) in and out: bytes in, packets out, and back. Pure and
// browser-safe. Corrupt input gives a LoadError naming the record and field; pcapng is
// recognised and refused with NotSupportedError.
//
//  global header (24 bytes)                 record header (16 bytes) + captured bytes
//    magic u32  a1b2c3d4 (µs) / a1b23c4d (ns)    ts_sec u32 | ts_frac u32
//    version u16 2 | u16 4                       incl_len u32 | orig_len u32
//    thiszone i32 | sigfigs u32
//    snaplen u32 | linktype u32
// Source: the pcap file format (draft-ietf-opsawg-pcap), libpcap's savefile.c magic numbers.

import { LoadError, NotSupportedError } from '../errors.js';

export const LINKTYPE_ETHERNET = 1;
const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_MAGIC = 0x0a0d0d0a;
/** A record larger than this is corrupt rather than a real capture (libpcap uses 256 KiB). */
const MAX_RECORD = 256 * 1024;

export interface PcapPacket {
  /** Capture time in nanoseconds since the epoch. */
  readonly timestamp: bigint;
  /** The captured bytes (incl_len of them). */
  readonly data: Uint8Array;
  /** The length of the packet on the wire (orig_len). */
  readonly originalLength: number;
}

export interface Pcap {
  readonly linkType: number;
  readonly snapLength: number;
  readonly nanoseconds: boolean;
  readonly packets: readonly PcapPacket[];
}

/** True if the bytes start like a pcap or pcapng file. */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const m = [view.getUint32(0, true), view.getUint32(0, false)];
  return m.some((x) => x === MAGIC_MICRO || x === MAGIC_NANO || x === PCAPNG_MAGIC);
}

export function readPcap(bytes: Uint8Array): Pcap {
  if (bytes.length < 24)
    throw new LoadError(
      'PCAP_INVALID',
      `pcap: file of ${bytes.length} bytes is shorter than its 24-byte header`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = view.getUint32(0, true);
  if (magicLe === PCAPNG_MAGIC)
    throw new NotSupportedError('pcapng files', 'convert with `tshark -F pcap` or `editcap -F pcap`');
  let le: boolean;
  if (magicLe === MAGIC_MICRO || magicLe === MAGIC_NANO) le = true;
  else if (view.getUint32(0, false) === MAGIC_MICRO || view.getUint32(0, false) === MAGIC_NANO) le = false;
  else throw new LoadError('PCAP_INVALID', `pcap: bad magic 0x${magicLe.toString(16).padStart(8, '0')}`);
  const nanoseconds = view.getUint32(0, le) === MAGIC_NANO;
  const major = view.getUint16(4, le);
  if (major !== 2)
    throw new LoadError('PCAP_INVALID', `pcap: unsupported version ${major}.${view.getUint16(6, le)}`);
  const snapLength = view.getUint32(16, le);
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  let at = 24;
  while (at < bytes.length) {
    const n = packets.length;
    if (at + 16 > bytes.length)
      throw new LoadError('PCAP_INVALID', `pcap: record ${n} header truncated at byte ${at}`);
    const sec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    const incl = view.getUint32(at + 8, le);
    const orig = view.getUint32(at + 12, le);
    if (incl > MAX_RECORD)
      throw new LoadError('PCAP_INVALID', `pcap: record ${n} claims ${incl} captured bytes`);
    if (at + 16 + incl > bytes.length) {
      throw new LoadError(
        'PCAP_INVALID',
        `pcap: record ${n} needs ${incl} bytes, ${bytes.length - at - 16} left`,
      );
    }
    packets.push({
      timestamp: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanoseconds ? 1n : 1000n),
      data: bytes.slice(at + 16, at + 16 + incl),
      originalLength: orig,
    });
    at += 16 + incl;
  }
  return { linkType, snapLength, nanoseconds, packets };
}

/** Writes a little-endian, nanosecond-resolution pcap file. */
export function writePcap(
  packets: readonly PcapPacket[],
  linkType = LINKTYPE_ETHERNET,
  snapLength = 262144,
): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC_NANO, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapLength, true);
  view.setUint32(20, linkType, true);
  let at = 24;
  for (const p of packets) {
    view.setUint32(at, Number(p.timestamp / 1_000_000_000n), true);
    view.setUint32(at + 4, Number(p.timestamp % 1_000_000_000n), true);
    view.setUint32(at + 8, p.data.length, true);
    view.setUint32(at + 12, Math.max(p.originalLength, p.data.length), true);
    out.set(p.data, at + 16);
    at += 16 + p.data.length;
  }
  return out;
}
