// What a debug session runs, from the command line or a DAP launch request: the object, the
// program, the packet (hex, a raw file, or one packet of a pcap by index) and map contents.

import { readFileSync } from 'node:fs';
import { DebugSession, loadCollectionSpec } from '../index.js';
import { isPcap, readPcap } from '../net/index.js';
import { UsageError } from './args.js';
import { parseHex } from './hex.js';
import { readBytes } from './input.js';
import { initMaps } from './loaded.js';

export interface DebugTarget {
  readonly object: string;
  readonly program?: string | undefined;
  /** The packet in hex. */
  readonly packet?: string | undefined;
  /** A raw packet file or a pcap. */
  readonly dataIn?: string | undefined;
  /** Which packet of the pcap (0 first). */
  readonly index?: number | undefined;
  readonly mapInit?: string | undefined;
  readonly verify?: boolean | undefined;
}

export function packetOf(target: DebugTarget): Uint8Array {
  if (target.packet !== undefined && target.dataIn !== undefined)
    throw new UsageError('give a packet (hex) or a data file, not both');
  if (target.packet !== undefined) return parseHex(target.packet, 'packet');
  if (target.dataIn === undefined) return new Uint8Array(0);
  const bytes = readBytes(target.dataIn);
  if (!isPcap(bytes)) return bytes;
  const packets = readPcap(bytes).packets;
  const index = target.index ?? 0;
  const p = packets[index];
  if (p === undefined)
    throw new UsageError(`${target.dataIn} has ${packets.length} packets, no index ${index}`);
  return p.data;
}

export function startSession(target: DebugTarget): DebugSession {
  const spec = loadCollectionSpec(readBytes(target.object));
  const mapInit = target.mapInit === undefined ? undefined : readFileSync(target.mapInit, 'utf8');
  return DebugSession.start(spec, {
    packet: packetOf(target),
    ...(target.program === undefined ? {} : { program: target.program }),
    ...(target.verify === false ? { verify: false } : {}),
    ...(mapInit === undefined ? {} : { setup: (c) => initMaps(c, mapInit) }),
  });
}
