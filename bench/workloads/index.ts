// The benchmark workload set: the programs of workloads.c (built by scripts/fixtures/workloads.sh)
// with the packet each runs on and what it must give, shared by workloads.bench.ts (timing) and
// workloads.test.ts (the check, on the VM and in the kernel, that each does its work).

import { readFileSync } from 'node:fs';
import { type CollectionSpec, loadCollectionSpec } from '../../src/index.js';
import { DST_MAC, SRC_MAC, type UdpFrameOptions, udpFrame } from './packets.js';

export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;

export interface Workload {
  /** The row name in the benchmark table. */
  readonly name: string;
  /** The program in workloads.o. */
  readonly program: string;
  readonly packet: Uint8Array;
  readonly retval: number;
  /** The packet after the run, when the program rewrites it. */
  readonly dataOut?: Uint8Array;
}

/** workloads.o, parsed (compiled from the source tree: bench/workloads sits beside dist/). */
export function workloadSpec(): CollectionSpec {
  const object = new URL('../../../bench/workloads/workloads.o', import.meta.url);
  return loadCollectionSpec(new Uint8Array(readFileSync(object)));
}

/**
 * What wl_rewrite must make of `udpFrame(o)` (default MACs): the MACs swapped and the destination
 * 192.0.2.1, built from scratch here (both checksums computed in full, not updated).
 */
export function rewrittenFrame(o: UdpFrameOptions): Uint8Array {
  return udpFrame({ ...o, srcMac: DST_MAC, dstMac: SRC_MAC, daddr: [192, 0, 2, 1] });
}

const frame64 = udpFrame({ size: 64 });

/** The named set, in the order the benchmark prints it. */
export function workloads(): Workload[] {
  return [
    { name: 'drop (immediate XDP_DROP)', program: 'wl_drop', packet: frame64, retval: XDP_DROP },
    { name: 'parse eth/ipv4/udp + verdict', program: 'wl_parse', packet: frame64, retval: XDP_PASS },
    { name: 'parse + hash-map counter', program: 'wl_count', packet: frame64, retval: XDP_PASS },
    { name: 'udp checksum, 64-byte frame', program: 'wl_csum', packet: frame64, retval: XDP_PASS },
    {
      name: 'udp checksum, 1500-byte frame',
      program: 'wl_csum',
      packet: udpFrame({ size: 1500 }),
      retval: XDP_PASS,
    },
    {
      name: 'mac/ip rewrite + csum update',
      program: 'wl_rewrite',
      packet: frame64,
      retval: XDP_TX,
      dataOut: rewrittenFrame({ size: 64 }),
    },
  ];
}
