// Ring-buffer helpers: bpf_ringbuf_output (130), bpf_ringbuf_reserve (131), bpf_ringbuf_submit
// (132), bpf_ringbuf_discard (133), bpf_ringbuf_query (134), over the RINGBUF map's program-side
// accessors (runtime/maps/ringbuf.ts, which follows kernel/bpf/ringbuf.c). Submit and discard
// find the map from the record's address; a pointer that is not a reserved record faults (the
// verifier only lets reserve's result through).

import { RuntimeFault } from '../../errors.js';
import type { RuntimeEnv } from '../helper.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { type HelperImpl, mapArg, neg, u32 } from './types.js';

function ringbuf(env: RuntimeEnv, r: bigint, id: number): RingBufMap {
  const m = mapArg(env, r, id);
  if (!(m instanceof RingBufMap))
    throw new RuntimeFault(`map '${m.name}' (${m.type}) is not a ring buffer`, env.pc);
  return m;
}

function record(env: RuntimeEnv, r: bigint, what: string): { map: RingBufMap; addr: number } {
  const m = env.maps.owner(r);
  const addr = Number(r);
  if (!(m instanceof RingBufMap) || !m.isReserved(addr)) {
    throw new RuntimeFault(`${what}: 0x${r.toString(16)} is not a reserved ring buffer record`, env.pc);
  }
  return { map: m, addr };
}

/** The flags argument as the kernel's u64, kept exact for the flag checks. */
const flagsOf = (r: bigint) => (r > 0xffffffffn ? 0x7fffffff : Number(r));

export const ringbufHelpers: readonly HelperImpl[] = [
  {
    id: 130, // bpf_ringbuf_output(ringbuf, data, size, flags)
    fn: (env, r1, r2, r3, r4) => {
      const m = ringbuf(env, r1, 130);
      const size = u32(r3);
      const data = size === 0 ? new Uint8Array(0) : env.memory.bytes(r2, size).slice();
      const r = m.output(data, flagsOf(r4));
      return r < 0 ? neg(-r) : 0n;
    },
  },
  {
    id: 131, // bpf_ringbuf_reserve(ringbuf, size, flags) -> record or NULL
    fn: (env, r1, r2, r3) => {
      const m = ringbuf(env, r1, 131);
      if (r2 > 0xffffffffn) return 0n;
      return BigInt(m.reserve(Number(r2), flagsOf(r3)));
    },
  },
  {
    id: 132, // bpf_ringbuf_submit(data, flags)
    fn: (env, r1, r2) => {
      const { map, addr } = record(env, r1, 'bpf_ringbuf_submit');
      map.submit(addr, flagsOf(r2) & 3);
      return 0n;
    },
  },
  {
    id: 133, // bpf_ringbuf_discard(data, flags)
    fn: (env, r1, r2) => {
      const { map, addr } = record(env, r1, 'bpf_ringbuf_discard');
      map.discard(addr, flagsOf(r2) & 3);
      return 0n;
    },
  },
  {
    id: 134, // bpf_ringbuf_query(ringbuf, flags)
    fn: (env, r1, r2) => ringbuf(env, r1, 134).query(flagsOf(r2)),
  },
];
