// Packet captures for the CLI's commands, in and out, through net/'s one pcap/pcapng codec:
// what a file holds (pcap, pcapng, or one raw packet), which link types may enter a program
// (Ethernet only: anything else is refused by name, never run as if it were Ethernet), and the
// format an output file takes (--format, else its extension, else the input's).

import { extname } from 'node:path';
import { NotSupportedError } from '../index.js';
import {
  isPcap,
  LINKTYPE_ETHERNET,
  linkTypeName,
  readPcap,
  readPcapng,
  writePcap,
  writePcapng,
} from '../net/index.js';
import { UsageError } from './args.js';
import { readBytes, writeBytes } from './files.js';

export type CaptureFormat = 'pcap' | 'pcapng' | 'raw';
export const CAPTURE_FORMATS: readonly CaptureFormat[] = ['pcap', 'pcapng', 'raw'];

export interface CapturedPacket {
  /** Nanoseconds since the epoch (0 for a raw packet). */
  readonly timestamp: bigint;
  readonly data: Uint8Array;
  readonly originalLength: number;
}

export interface Capture {
  readonly format: CaptureFormat;
  readonly packets: readonly CapturedPacket[];
}

const PCAPNG_MAGIC = 0x0a0d0d0a;

/**
 * Reads a capture, or a file of one raw packet. `what` names the argument in messages. Only
 * Ethernet captures are accepted; pcapng's reader refuses other interfaces by name itself.
 */
export function readCapture(path: string, what: string): Capture {
  const bytes = readBytes(path, what);
  if (!isPcap(bytes))
    return { format: 'raw', packets: [{ timestamp: 0n, data: bytes, originalLength: bytes.length }] };
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (magic === PCAPNG_MAGIC) {
    try {
      return { format: 'pcapng', packets: readPcapng(bytes).packets };
    } catch (e) {
      if (e instanceof NotSupportedError)
        throw new NotSupportedError(
          `${what} '${path}': ${e.feature}`,
          'only Ethernet frames can enter a program',
        );
      throw e;
    }
  }
  const pcap = readPcap(bytes);
  if (pcap.linkType !== LINKTYPE_ETHERNET)
    throw new NotSupportedError(
      `${what} '${path}': ${linkTypeName(pcap.linkType)} captures`,
      'only Ethernet (LINKTYPE_ETHERNET) frames can enter a program',
    );
  return { format: 'pcap', packets: pcap.packets };
}

/** A capture that holds no packet is a mistake for a command that runs packets. */
export function requirePackets(capture: Capture, path: string, what: string): Capture {
  if (capture.packets.length === 0) throw new UsageError(`${what}: '${path}' holds no packets`);
  return capture;
}

/** The format of an output file: --format, else its extension, else `fallback` (the input's). */
export function outputFormat(
  path: string,
  format: string | undefined,
  fallback: CaptureFormat,
): CaptureFormat {
  if (format !== undefined) {
    if (!(CAPTURE_FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format: unknown capture format '${format}' (pcap, pcapng or raw)`);
    return format as CaptureFormat;
  }
  switch (extname(path).toLowerCase()) {
    case '.pcap':
    case '.cap':
      return 'pcap';
    case '.pcapng':
      return 'pcapng';
    case '.bin':
    case '.raw':
      return 'raw';
    default:
      return fallback;
  }
}

/** One output record: the packet that came out, or why none did (kept so numbering holds). */
export type OutputRecord =
  | { readonly timestamp: bigint; readonly data: Uint8Array }
  | { readonly timestamp: bigint; readonly error: string; readonly inputLength: number };

/**
 * Writes the outputs of a run. pcap and pcapng keep the input timestamps and one record per
 * input packet: a packet that could not be run is an empty record (pcapng: with the error as
 * its comment), so packet N of the output answers packet N of the input.
 */
export function writeCapture(
  path: string,
  format: CaptureFormat,
  records: readonly OutputRecord[],
  what: string,
): void {
  if (format === 'raw') {
    const only = records[0];
    if (records.length !== 1 || only === undefined || !('data' in only))
      throw new UsageError(
        `${what}: a raw file holds one packet, this run has ${records.length}${only !== undefined && !('data' in only) ? ' (and it failed)' : ''}; name a .pcap or .pcapng file or give --format`,
      );
    writeBytes(path, only.data, what);
    return;
  }
  const packets = records.map((r) =>
    'data' in r
      ? { timestamp: r.timestamp, data: r.data, originalLength: r.data.length }
      : {
          timestamp: r.timestamp,
          data: new Uint8Array(0),
          originalLength: 0,
          comment: `tsbpf: not run: ${r.error}`,
        },
  );
  const bytes =
    format === 'pcap'
      ? writePcap(packets)
      : writePcapng({
          interfaces: [{ name: 'tsbpf', linkType: LINKTYPE_ETHERNET, snapLength: 262144 }],
          packets: packets.map((p) => ({ ...p, interface: 0 })),
        });
  writeBytes(path, bytes, what);
}
