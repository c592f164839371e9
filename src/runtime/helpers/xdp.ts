// XDP packet helpers: xdp_adjust_head (44), xdp_adjust_meta (54), xdp_adjust_tail (65),
// xdp_get_buff_len (188), xdp_load_bytes (189), xdp_store_bytes (190). Limits and errnos from
// net/core/filter.c, confirmed against kernel 6.18 (see runtime/vm/testrun.test.ts): the head
// may not enter struct xdp_frame, the frame keeps its shared-info tailroom, metadata is a
// multiple of 4 bytes, a packet keeps at least an Ethernet header.

import { Errno } from '../../uapi/errno.js';
import { ETH_HLEN } from '../../uapi/index.js';
import { PAGE_SIZE } from '../../uapi/page.js';
import { XDP_FRAME_SIZE, type XdpContext } from '../context/xdp.js';
import { type HelperImpl, neg, s32, u32, xdpArg } from './types.js';

/** xdp_metalen_invalid(): metadata is a multiple of 4 and fits skb_shared_info.meta_len (u8). */
const metaInvalid = (n: number) => n % 4 !== 0 || n > 255;

/** Copies `len` bytes at packet offset `off` (linear part, then fragments) out of or into `buf`. */
export function copyPacket(x: XdpContext, off: number, buf: Uint8Array, write: boolean): void {
  const u8 = x.space.u8;
  let at = off;
  let done = 0;
  const linear = x.dataEnd - x.data;
  if (at < linear) {
    const n = Math.min(buf.length, linear - at);
    if (write) u8.set(buf.subarray(0, n), x.data + at);
    else buf.set(u8.subarray(x.data + at, x.data + at + n));
    done = n;
    at += n;
  }
  let base = linear;
  for (const f of x.frags) {
    if (done === buf.length) break;
    if (at < base + f.length) {
      const n = Math.min(buf.length - done, base + f.length - at);
      const from = at - base;
      if (write) f.set(buf.subarray(done, done + n), from);
      else buf.set(f.subarray(from, from + n), done);
      done += n;
      at += n;
    }
    base += f.length;
  }
}

/** bpf_xdp_pointer()'s checks: offsets and lengths are 16-bit, the range must be in the packet. */
export function rangeError(x: XdpContext, off: number, len: number): number {
  if (off > 0xffff || len > 0xffff) return Errno.EFAULT;
  if (off + len > x.length) return Errno.EINVAL;
  return 0;
}

function adjustTailFrags(x: XdpContext, offset: number): number {
  if (offset < 0) {
    let shrink = -offset;
    if (shrink > x.length - ETH_HLEN) return Errno.EINVAL;
    while (shrink > 0 && x.frags.length > 0) {
      const last = x.frags[x.frags.length - 1]!;
      const n = Math.min(shrink, last.length);
      if (n === last.length) x.frags.pop();
      else x.frags[x.frags.length - 1] = last.slice(0, last.length - n);
      shrink -= n;
    }
    if (x.frags.length === 0) x.dataEnd -= shrink;
    return 0;
  }
  // The last fragment grows within its page (rxq frag_size = PAGE_SIZE).
  const last = x.frags[x.frags.length - 1]!;
  if (offset > PAGE_SIZE - last.length) return Errno.EINVAL;
  const grown = new Uint8Array(last.length + offset);
  grown.set(last);
  x.frags[x.frags.length - 1] = grown;
  return 0;
}

export const xdpHelpers: readonly HelperImpl[] = [
  {
    id: 44, // bpf_xdp_adjust_head(xdp, offset)
    fn: (env, r1, r2) => {
      const x = xdpArg(env, r1, 44);
      const offset = s32(r2);
      const metalen = x.data - x.dataMeta;
      const data = x.data + offset;
      if (data < x.hardStart + XDP_FRAME_SIZE + metalen || data > x.dataEnd - ETH_HLEN)
        return neg(Errno.EINVAL);
      if (metalen > 0) x.space.u8.copyWithin(x.dataMeta + offset, x.dataMeta, x.data);
      x.dataMeta += offset;
      x.data = data;
      x.sync();
      return 0n;
    },
  },
  {
    id: 54, // bpf_xdp_adjust_meta(xdp, offset)
    fn: (env, r1, r2) => {
      const x = xdpArg(env, r1, 54);
      const meta = x.dataMeta + s32(r2);
      if (meta < x.hardStart + XDP_FRAME_SIZE || meta > x.data) return neg(Errno.EINVAL);
      if (metaInvalid(x.data - meta)) return neg(Errno.EACCES);
      x.dataMeta = meta;
      x.sync();
      return 0n;
    },
  },
  {
    id: 65, // bpf_xdp_adjust_tail(xdp, offset)
    fn: (env, r1, r2) => {
      const x = xdpArg(env, r1, 65);
      const offset = s32(r2);
      if (x.frags.length > 0) {
        const e = adjustTailFrags(x, offset);
        x.sync();
        return e === 0 ? 0n : neg(e);
      }
      const end = x.dataEnd + offset;
      if (end > x.hardEnd || end < x.data + ETH_HLEN) return neg(Errno.EINVAL);
      if (offset > 0) x.space.u8.fill(0, x.dataEnd, end);
      x.dataEnd = end;
      x.sync();
      return 0n;
    },
  },
  {
    id: 188, // bpf_xdp_get_buff_len(xdp)
    fn: (env, r1) => BigInt(xdpArg(env, r1, 188).length),
  },
  {
    id: 189, // bpf_xdp_load_bytes(xdp, offset, buf, len)
    fn: (env, r1, r2, r3, r4) => {
      const x = xdpArg(env, r1, 189);
      const off = u32(r2);
      const len = u32(r4);
      const e = rangeError(x, off, len);
      if (e !== 0) return neg(e);
      const buf = new Uint8Array(len);
      copyPacket(x, off, buf, false);
      env.memory.writeBytes(r3, buf);
      return 0n;
    },
  },
  {
    id: 190, // bpf_xdp_store_bytes(xdp, offset, buf, len)
    fn: (env, r1, r2, r3, r4) => {
      const x = xdpArg(env, r1, 190);
      const off = u32(r2);
      const len = u32(r4);
      const e = rangeError(x, off, len);
      if (e !== 0) return neg(e);
      copyPacket(x, off, env.memory.bytes(r3, len).slice(), true);
      return 0n;
    },
  },
];
