// bpf_perf_event_output (25) for XDP, tc and socket filter programs, where the kernel serves it as
// bpf_xdp_event_output / bpf_skb_event_output (net/core/filter.c): r1 is the context, the low 32
// bits of flags pick the PERF_EVENT_ARRAY slot (BPF_F_CURRENT_CPU: the running CPU), bits 32-51
// (BPF_F_CTXLEN_MASK) ask for that many packet bytes appended after the r4/r5 data. Not here:
// the tracing-only bpf_skb_output (111) and bpf_xdp_output (121), which take kernel pointers.

import { RuntimeFault } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { helperName } from '../../uapi/helpers.js';
import type { SkbContext } from '../context/skb.js';
import { XdpContext } from '../context/xdp.js';
import type { RuntimeEnv } from '../helper.js';
import { BPF_F_CTXLEN_MASK, BPF_F_INDEX_MASK, PerfEventArrayMap } from '../maps/perf-event-array.js';
import { type HelperImpl, mapArg, neg, skbArg, xdpArg } from './types.js';

const ID = 25;

function perfMap(env: RuntimeEnv, r: bigint): PerfEventArrayMap {
  const m = mapArg(env, r, ID);
  if (!(m instanceof PerfEventArrayMap))
    throw new RuntimeFault(
      `${helperName(ID)}: map '${m.name}' (${m.type}) is not a perf event array`,
      env.pc,
    );
  return m;
}

/** The first `len` bytes of the packet: skb->data on, or XDP's linear part then its fragments. */
function packetBytes(env: RuntimeEnv, ctx: XdpContext | SkbContext, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const u8 = env.memory.u8;
  if (!(ctx instanceof XdpContext)) {
    out.set(u8.subarray(ctx.data, ctx.data + len));
    return out;
  }
  const linear = Math.min(len, ctx.dataEnd - ctx.data);
  out.set(u8.subarray(ctx.data, ctx.data + linear));
  let at = linear;
  for (const f of ctx.frags) {
    if (at === len) break;
    const n = Math.min(f.length, len - at);
    out.set(f.subarray(0, n), at);
    at += n;
  }
  return out;
}

export const perfHelpers: readonly HelperImpl[] = [
  {
    id: ID, // bpf_perf_event_output(ctx, map, flags, data, size)
    fn: (env, r1, r2, r3, r4, r5) => {
      const ctx = env.ctx.kind === 'xdp_md' ? xdpArg(env, r1, ID) : skbArg(env, r1, ID);
      const map = perfMap(env, r2);
      if (r3 & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) return neg(Errno.EINVAL);
      const ctxLen = Number((r3 & BPF_F_CTXLEN_MASK) >> 32n);
      // xdp_get_buff_len() (fragments included) or skb->len.
      if (ctxLen > (ctx instanceof XdpContext ? ctx.length : ctx.len)) return neg(Errno.EFAULT);
      const size = Number(r5);
      const meta = size === 0 ? new Uint8Array(0) : env.memory.bytes(r4, size);
      const raw = new Uint8Array(size + ctxLen);
      raw.set(meta);
      if (ctxLen > 0) raw.set(packetBytes(env, ctx, ctxLen), size);
      const r = map.outputSample(r3 & BPF_F_INDEX_MASK, env.cpu, raw);
      return r < 0 ? neg(-r) : 0n;
    },
  },
];
