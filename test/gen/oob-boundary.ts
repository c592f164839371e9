// fast-check generator of single accesses around each region boundary a verified program can
// reach: packet end and start, metadata start, an array value's end and start (next to the
// neighbouring value), the bottom and top of a stack frame (the program's or a callee's), a
// ring-buffer record's end and start. Each probe is a small assembly program whose one access is
// in bounds or not by construction; `inBounds` says which. It decides nothing about engines.

import fc from 'fast-check';
import type { CollectionSpec } from '../../src/program/index.js';
import { asmProgram, assembleCase, mapSpec } from './oob-cases.js';

export type Boundary = 'packet-end' | 'packet-start' | 'meta-start' | 'value' | 'stack' | 'record';
export const BOUNDARIES: readonly Boundary[] = [
  'packet-end',
  'packet-start',
  'meta-start',
  'value',
  'stack',
  'record',
];

export interface Probe {
  readonly boundary: Boundary;
  /** Offset of the access from the region's start (stack: from r10). */
  readonly off: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly write: boolean;
  /** Packet length, metadata length, value size or record size (unused for the stack). */
  readonly extent: number;
  /**
   * packet-end/start: 1 for a TC program (__sk_buff) instead of XDP; value: the array key (1 puts
   * value 0 just before); stack: 1 to probe from a callee's frame.
   */
  readonly variant: number;
}

export interface ProbeProgram {
  readonly spec: CollectionSpec;
  readonly packet: number;
  readonly meta: number;
  /** Slot of the access. */
  readonly pc: number;
  /** Whether a verified program may make this access (the region's bounds hold it). */
  readonly inBounds: boolean;
  readonly text: string;
}

const WIDTH: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** The access through base register `base`: a load into r0, or a store of r5 set just before. */
function access(p: Probe, base: string): string {
  const at = `${base} ${p.off < 0 ? '-' : '+'} ${Math.abs(p.off)}`;
  return p.write
    ? `r5 = 0\n*(${WIDTH[p.size]} *)(${at}) = r5   ; FAULT`
    : `r0 = *(${WIDTH[p.size]} *)(${at})   ; FAULT`;
}

/** The program of one probe. */
export function probeProgram(p: Probe): ProbeProgram {
  const lines: string[] = [];
  const maps = [];
  let packet = 64;
  let meta = 0;
  let inBounds: boolean;
  switch (p.boundary) {
    case 'packet-end':
    case 'packet-start':
      // A packet of exactly `extent` bytes, all of them checked: the verified range is the packet.
      packet = p.extent;
      // xdp_md.data/data_end at 0/4, __sk_buff.data/data_end at 76/80.
      lines.push(p.variant === 1 ? 'r2 = *(u32 *)(r1 + 76)' : 'r2 = *(u32 *)(r1 + 0)');
      lines.push(p.variant === 1 ? 'r3 = *(u32 *)(r1 + 80)' : 'r3 = *(u32 *)(r1 + 4)');
      lines.push('r4 = r2', `r4 += ${p.extent}`);
      lines.push('if r4 > r3 goto out', access(p, 'r2'));
      inBounds = p.off >= 0 && p.off + p.size <= p.extent;
      break;
    case 'meta-start':
      // `extent` bytes of metadata, all checked against data; offsets stay below data.
      meta = p.extent;
      lines.push('r2 = *(u32 *)(r1 + 8)', 'r3 = *(u32 *)(r1 + 0)', 'r4 = r2', `r4 += ${p.extent}`);
      lines.push('if r4 > r3 goto out', access(p, 'r2'));
      inBounds = p.off >= 0 && p.off + p.size <= p.extent;
      break;
    case 'value':
      maps.push(mapSpec('arr', 'ARRAY', 4, p.extent, 2));
      lines.push(`r1 = ${p.variant}`, '*(u32 *)(r10 - 4) = r1', 'r1 = map(arr) ll', 'r2 = r10', 'r2 += -4');
      lines.push('call 1', 'if r0 == 0 goto out', access(p, 'r0'));
      inBounds = p.off >= 0 && p.off + p.size <= p.extent;
      break;
    case 'stack':
      // From a callee, the tail is its own: a jump may not leave a subprogram.
      if (p.variant === 1)
        lines.push('call probe', 'r0 = 2', 'exit', 'probe:', access(p, 'r10'), 'r0 = 0', 'exit');
      else lines.push(access(p, 'r10'));
      inBounds = p.off >= -512 && p.off + p.size <= 0;
      break;
    case 'record':
      maps.push(mapSpec('rb', 'RINGBUF', 0, 0, 4096));
      lines.push(
        'r1 = map(rb) ll',
        `r2 = ${p.extent}`,
        'r3 = 0',
        'call 131',
        'if r0 == 0 goto out',
        'r6 = r0',
      );
      lines.push(access(p, 'r6'), 'r1 = r6', 'r2 = 0', 'call 132');
      inBounds = p.off >= 0 && p.off + p.size <= p.extent;
      break;
  }
  if (!(p.boundary === 'stack' && p.variant === 1)) lines.push('out:', 'r0 = 2', 'exit');
  const text = lines.join('\n');
  const { instructions, faultPc } = assembleCase(text);
  const tc = (p.boundary === 'packet-end' || p.boundary === 'packet-start') && p.variant === 1;
  const spec: CollectionSpec = {
    programs: [asmProgram('probe', tc ? 'SCHED_CLS' : 'XDP', instructions)],
    maps,
    variables: [],
    license: 'GPL',
  };
  return { spec, packet, meta, pc: faultPc!, inBounds, text };
}

const sizeArb = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);

/** Probes of one boundary, offsets within 12 bytes either side of it. */
export function probeArb(boundary: Boundary): fc.Arbitrary<Probe> {
  const near = fc.integer({ min: -12, max: 12 });
  const base = { boundary: fc.constant(boundary), write: fc.boolean(), size: sizeArb, delta: near };
  switch (boundary) {
    case 'packet-end':
      return fc
        .record({ ...base, extent: fc.integer({ min: 14, max: 96 }), tc: fc.integer({ min: 0, max: 1 }) })
        .map((r) => probe(r, r.extent - r.size + r.delta, r.extent, r.tc));
    case 'packet-start':
      return fc
        .record({ ...base, tc: fc.integer({ min: 0, max: 1 }) })
        .map((r) => probe(r, r.delta, 64, r.tc));
    case 'meta-start':
      // Metadata is a multiple of 4, at most 216 bytes (BPF_PROG_TEST_RUN); stay below data.
      return fc
        .record({ ...base, extent: fc.constantFrom(4, 8, 12, 16, 32) })
        .map((r) => probe(r, Math.min(r.delta, r.extent - r.size), r.extent, 0));
    case 'value':
      return fc
        .record({
          ...base,
          extent: fc.integer({ min: 1, max: 40 }),
          key: fc.integer({ min: 0, max: 1 }),
          end: fc.boolean(),
        })
        .map((r) => probe(r, r.end ? r.extent - r.size + r.delta : r.delta, r.extent, r.key));
    case 'stack':
      // The kernel requires aligned stack accesses: round the offset down to the size.
      return fc.record({ ...base, bottom: fc.boolean(), callee: fc.integer({ min: 0, max: 1 }) }).map((r) => {
        const off = (r.bottom ? -512 : -r.size) + r.delta;
        return probe(r, Math.floor(off / r.size) * r.size, 0, r.callee);
      });
    case 'record':
      return fc
        .record({ ...base, extent: fc.integer({ min: 1, max: 40 }), end: fc.boolean() })
        .map((r) => probe(r, r.end ? r.extent - r.size + r.delta : r.delta, r.extent, 0));
  }
}

function probe(
  r: { boundary: Boundary; write: boolean; size: 1 | 2 | 4 | 8 },
  off: number,
  extent: number,
  variant: number,
): Probe {
  return { boundary: r.boundary, write: r.write, size: r.size, off, extent, variant };
}

/** Probes of every boundary, evenly. */
export const anyProbeArb: fc.Arbitrary<Probe> = fc.oneof(...BOUNDARIES.map(probeArb));
