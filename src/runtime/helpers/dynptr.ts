// Dynamic pointers (struct bpf_dynptr): the 16-byte object on the program's stack as the kernel
// lays out struct bpf_dynptr_kern (kernel/bpf/helpers.c, include/linux/bpf.h): the data pointer
// (u64), the size (u32: bits 0-23 the size, 28-30 the enum bpf_dynptr_type, bit 31 read-only)
// and the offset into the data (u32). The data pointer of an skb, skb_meta or xdp dynptr is the
// run's context struct (the kernel's is the sk_buff / xdp_buff): the runtime checks it is, so a
// forged dynptr (a program loaded with verify: false) faults instead of reaching other memory;
// local and ring-buffer data go through the address space's checked accessors. Every access is
// bounded by the dynptr's size (bpf_dynptr_check_off_len), so it never leaves its data.
//
// Helpers: bpf_dynptr_from_mem (197), bpf_ringbuf_reserve_dynptr (198), _submit_dynptr (199),
// _discard_dynptr (200), bpf_dynptr_read (201), _write (202), _data (203). kfuncs:
// bpf_dynptr_from_skb, _from_xdp, _from_skb_meta (net/core/filter.c), bpf_dynptr_slice,
// _slice_rdwr, _adjust, _is_null, _is_rdonly, _size, _clone (kernel/bpf/helpers.c). Semantics
// and errnos are Linux 6.18's, compared with the running kernel in dynptr-kernel.test.ts.
//
// Departure: the VM keeps XDP fragments outside the address space, so a slice of fragment data
// is always copied into the caller's buffer (the kernel returns a direct pointer when the range
// lies in one fragment, and NULL without a buffer); a socket filter's skb has no program-visible
// window, so its slices are copied into the buffer too (docs/architecture.md).

import { RuntimeFault } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { SkbContext } from '../context/skb.js';
import { XdpContext } from '../context/xdp.js';
import type { RuntimeEnv } from '../helper.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { loadSkbBytes, storeSkbBytes } from './skb.js';
import { type HelperImpl, mapArg, neg, type RuntimeHelperFn, u32 } from './types.js';
import { copyPacket, rangeError } from './xdp.js';

/** enum bpf_dynptr_type. */
export enum DynptrType {
  Invalid = 0,
  Local = 1,
  Ringbuf = 2,
  Skb = 3,
  Xdp = 4,
  SkbMeta = 5,
}

export const BPF_DYNPTR_SIZE = 16;
const DYNPTR_MAX_SIZE = 0xffffff;
const TYPE_SHIFT = 28;
const SIZE_MASK = 0xffffff;
const RDONLY_BIT = 0x80000000;
const INT_MAX = 0x7fffffff;

/** A dynptr as read from the stack. */
interface Dynptr {
  readonly at: bigint;
  readonly data: number;
  readonly size: number;
  readonly type: DynptrType;
  readonly rdonly: boolean;
  readonly offset: number;
}

function load(env: RuntimeEnv, at: bigint): Dynptr {
  const b = env.memory.bytes(at, BPF_DYNPTR_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, BPF_DYNPTR_SIZE);
  const word = v.getUint32(8, true);
  return {
    at,
    data: Number(v.getBigUint64(0, true)),
    size: word & SIZE_MASK,
    type: ((word & ~RDONLY_BIT) >>> TYPE_SHIFT) as DynptrType,
    rdonly: (word & RDONLY_BIT) !== 0,
    offset: v.getUint32(12, true),
  };
}

/** bpf_dynptr_init (size, type and read-only bit in one word). */
function store(
  env: RuntimeEnv,
  at: bigint,
  data: number,
  type: DynptrType,
  size: number,
  rdonly = false,
): void {
  const b = env.memory.bytes(at, BPF_DYNPTR_SIZE, 'write');
  const v = new DataView(b.buffer, b.byteOffset, BPF_DYNPTR_SIZE);
  v.setBigUint64(0, BigInt(data), true);
  v.setUint32(8, (size | (type << TYPE_SHIFT) | (rdonly ? RDONLY_BIT : 0)) >>> 0, true);
  v.setUint32(12, 0, true);
}

/** bpf_dynptr_set_null. */
function setNull(env: RuntimeEnv, at: bigint): void {
  env.memory.bytes(at, BPF_DYNPTR_SIZE, 'write').fill(0);
}

function setOffsetSize(env: RuntimeEnv, d: Dynptr, offset: number, size: number): void {
  const b = env.memory.bytes(d.at, BPF_DYNPTR_SIZE, 'write');
  const v = new DataView(b.buffer, b.byteOffset, BPF_DYNPTR_SIZE);
  v.setUint32(8, ((v.getUint32(8, true) & ~SIZE_MASK) | size) >>> 0, true);
  v.setUint32(12, offset >>> 0, true);
}

/** bpf_dynptr_check_off_len: -E2BIG unless [offset, offset + len) lies within the dynptr. */
const offLenError = (d: Dynptr, offset: number, len: number): boolean =>
  len > d.size || offset > d.size - len;

/** The run's skb behind an skb or skb_meta dynptr (a forged data pointer faults). */
function skbOf(env: RuntimeEnv, d: Dynptr): SkbContext {
  const c = env.ctx;
  if (!(c instanceof SkbContext) || c.struct.start !== d.data)
    throw new RuntimeFault(`dynptr at 0x${d.at.toString(16)}: data is not the run's __sk_buff`, env.pc);
  return c;
}

function xdpOf(env: RuntimeEnv, d: Dynptr): XdpContext {
  const c = env.ctx;
  if (!(c instanceof XdpContext) || c.struct.start !== d.data)
    throw new RuntimeFault(`dynptr at 0x${d.at.toString(16)}: data is not the run's xdp_md`, env.pc);
  return c;
}

/** The first byte of an skb's metadata (skb_metadata_end() - skb_metadata_len()). */
const metaStart = (s: SkbContext): number => s.data - s.metaLen;

/** Program types whose skb dynptrs are writable (may_access_direct_pkt_data for BPF_WRITE). */
const SKB_WRITABLE = new Set(['SCHED_CLS', 'SCHED_ACT', 'LWT_XMIT', 'SK_SKB']);

function unknownType(env: RuntimeEnv, d: Dynptr): never {
  throw new RuntimeFault(`dynptr at 0x${d.at.toString(16)} has type ${d.type}`, env.pc);
}

/** __bpf_dynptr_read: `len` bytes at `offset` into `dst` (checked by the caller). */
function readInto(env: RuntimeEnv, d: Dynptr, offset: number, dst: Uint8Array): bigint {
  const at = d.offset + offset;
  switch (d.type) {
    case DynptrType.Local:
    case DynptrType.Ringbuf:
      // memmove: source and destination may overlap (two dynptrs over one map value).
      dst.set(env.memory.bytes(d.data + at, dst.length).slice());
      return 0n;
    case DynptrType.Skb:
      return loadSkbBytes(skbOf(env, d), env.memory, at, dst);
    case DynptrType.Xdp: {
      const x = xdpOf(env, d);
      const e = rangeError(x, at, dst.length);
      if (e !== 0) return neg(e);
      copyPacket(x, at, dst, false);
      return 0n;
    }
    case DynptrType.SkbMeta:
      dst.set(env.memory.bytes(metaStart(skbOf(env, d)) + at, dst.length).slice());
      return 0n;
    case DynptrType.Invalid:
      return unknownType(env, d);
    default:
      return unknownType(env, d);
  }
}

/** __bpf_dynptr_write: `len` bytes at `src` to `offset` (checked by the caller). */
function writeFrom(
  env: RuntimeEnv,
  d: Dynptr,
  offset: number,
  src: bigint,
  len: number,
  flags: bigint,
): bigint {
  const at = d.offset + offset;
  switch (d.type) {
    case DynptrType.Local:
    case DynptrType.Ringbuf:
    case DynptrType.SkbMeta: {
      if (flags !== 0n) return neg(Errno.EINVAL);
      const from = env.memory.bytes(src, len).slice();
      const to = d.type === DynptrType.SkbMeta ? metaStart(skbOf(env, d)) + at : d.data + at;
      env.memory.writeBytes(to, from);
      return 0n;
    }
    case DynptrType.Skb:
      return storeSkbBytes(skbOf(env, d), env.memory, at, src, len, flags);
    case DynptrType.Xdp: {
      if (flags !== 0n) return neg(Errno.EINVAL);
      const x = xdpOf(env, d);
      const e = rangeError(x, at, len);
      if (e !== 0) return neg(e);
      copyPacket(x, at, env.memory.bytes(src, len).slice(), true);
      return 0n;
    }
    case DynptrType.Invalid:
      return unknownType(env, d);
    default:
      return unknownType(env, d);
  }
}

/**
 * bpf_dynptr_slice(_rdwr): the address of `len` bytes at `offset`, or of `buffer` holding a copy
 * when the bytes are not directly addressable, or 0.
 */
function slice(env: RuntimeEnv, d: Dynptr, offset: number, buffer: bigint, len: number): bigint {
  if (d.data === 0 || offLenError(d, offset, len)) return 0n;
  const at = d.offset + offset;
  switch (d.type) {
    case DynptrType.Local:
    case DynptrType.Ringbuf:
      return BigInt(d.data + at);
    case DynptrType.SkbMeta:
      return BigInt(metaStart(skbOf(env, d)) + at);
    case DynptrType.Skb: {
      const s = skbOf(env, d);
      if (at > INT_MAX || at + len > s.len) return 0n;
      if (s.window !== undefined) return BigInt(s.data + at);
      if (buffer === 0n) return 0n;
      loadSkbBytes(s, env.memory, at, env.memory.bytes(buffer, len, 'write'));
      return buffer;
    }
    case DynptrType.Xdp: {
      const x = xdpOf(env, d);
      if (rangeError(x, at, len) !== 0) return 0n;
      if (at + len <= x.dataEnd - x.data) return BigInt(x.data + at);
      if (buffer === 0n) return 0n;
      const to = env.memory.bytes(buffer, len, 'write');
      const copy = new Uint8Array(len);
      copyPacket(x, at, copy, false);
      to.set(copy);
      return buffer;
    }
    case DynptrType.Invalid:
      return unknownType(env, d);
    default:
      return unknownType(env, d);
  }
}

export const dynptrHelpers: readonly HelperImpl[] = [
  {
    id: 197, // bpf_dynptr_from_mem(data, size, flags, ptr)
    fn: (env, r1, r2, r3, r4) => {
      const size = u32(r2);
      if (size > DYNPTR_MAX_SIZE) {
        setNull(env, r4);
        return neg(Errno.E2BIG);
      }
      if (r3 !== 0n) {
        setNull(env, r4);
        return neg(Errno.EINVAL);
      }
      if (size > 0) env.memory.check(r1, size, 'write', env.pc);
      store(env, r4, Number(r1), DynptrType.Local, size);
      return 0n;
    },
  },
  {
    id: 198, // bpf_ringbuf_reserve_dynptr(ringbuf, size, flags, ptr)
    fn: (env, r1, r2, r3, r4) => {
      const m = mapArg(env, r1, 198);
      if (!(m instanceof RingBufMap))
        throw new RuntimeFault(`map '${m.name}' (${m.type}) is not a ring buffer`, env.pc);
      const size = u32(r2);
      if (r3 !== 0n) {
        setNull(env, r4);
        return neg(Errno.EINVAL);
      }
      if (size > DYNPTR_MAX_SIZE) {
        setNull(env, r4);
        return neg(Errno.E2BIG);
      }
      const addr = m.reserve(size, 0);
      if (addr === 0) {
        setNull(env, r4);
        return neg(Errno.EINVAL);
      }
      store(env, r4, addr, DynptrType.Ringbuf, size);
      return 0n;
    },
  },
  { id: 199, fn: (env, r1, r2) => commitRingbuf(env, r1, r2, false) }, // bpf_ringbuf_submit_dynptr(ptr, flags)
  { id: 200, fn: (env, r1, r2) => commitRingbuf(env, r1, r2, true) }, // bpf_ringbuf_discard_dynptr(ptr, flags)
  {
    id: 201, // bpf_dynptr_read(dst, len, src, offset, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      const len = u32(r2);
      const d = load(env, r3);
      if (d.data === 0 || r5 !== 0n) return neg(Errno.EINVAL);
      const offset = u32(r4);
      if (offLenError(d, offset, len)) return neg(Errno.E2BIG);
      const dst = new Uint8Array(len);
      const r = readInto(env, d, offset, dst);
      env.memory.writeBytes(r1, dst);
      return r;
    },
  },
  {
    id: 202, // bpf_dynptr_write(dst, offset, src, len, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      const d = load(env, r1);
      if (d.data === 0 || d.rdonly) return neg(Errno.EINVAL);
      const offset = u32(r2);
      const len = u32(r4);
      if (offLenError(d, offset, len)) return neg(Errno.E2BIG);
      return writeFrom(env, d, offset, r3, len, r5);
    },
  },
  {
    id: 203, // bpf_dynptr_data(ptr, offset, len): local and ring-buffer dynptrs only
    fn: (env, r1, r2, r3) => {
      const d = load(env, r1);
      const offset = u32(r2);
      const len = u32(r3);
      if (d.data === 0 || offLenError(d, offset, len) || d.rdonly) return 0n;
      if (d.type !== DynptrType.Local && d.type !== DynptrType.Ringbuf) return 0n;
      return BigInt(d.data + d.offset + offset);
    },
  },
];

function commitRingbuf(env: RuntimeEnv, at: bigint, flags: bigint, discard: boolean): bigint {
  const d = load(env, at);
  if (d.data === 0) return 0n;
  const m = env.maps.owner(BigInt(d.data));
  if (d.type !== DynptrType.Ringbuf || !(m instanceof RingBufMap) || !m.isReserved(d.data))
    throw new RuntimeFault(`dynptr at 0x${at.toString(16)} is not a reserved ring buffer record`, env.pc);
  const f = flags > 0xffffffffn ? 0 : Number(flags) & 3;
  if (discard) m.discard(d.data, f);
  else m.submit(d.data, f);
  setNull(env, at);
  return 0n;
}

/** bpf_dynptr_from_skb / _from_skb_meta / _from_xdp(ctx, flags, ptr__uninit). */
function fromCtx(type: DynptrType.Skb | DynptrType.SkbMeta | DynptrType.Xdp): RuntimeHelperFn {
  return (env, r1, r2, r3) => {
    const c = env.ctx;
    const ok = type === DynptrType.Xdp ? c instanceof XdpContext : c instanceof SkbContext;
    if (c === undefined || !ok || BigInt(c.struct.start) !== r1)
      throw new RuntimeFault(`dynptr constructor: r1 is not the run's context`, env.pc);
    if (r2 !== 0n) {
      setNull(env, r3);
      return neg(Errno.EINVAL);
    }
    if (c instanceof XdpContext) store(env, r3, c.struct.start, type, c.length);
    else if (c instanceof SkbContext && type === DynptrType.SkbMeta)
      store(env, r3, c.struct.start, type, c.metaLen);
    // Where the program may not write the packet the kernel substitutes bpf_dynptr_from_skb_rdonly.
    else if (c instanceof SkbContext) store(env, r3, c.struct.start, type, c.len, !SKB_WRITABLE.has(c.type));
    return 0n;
  };
}

const sliceKfunc: RuntimeHelperFn = (env, r1, r2, r3, r4) => slice(env, load(env, r1), u32(r2), r3, u32(r4));

export const dynptrKfuncs: readonly (readonly [string, RuntimeHelperFn])[] = [
  ['bpf_dynptr_from_skb', fromCtx(DynptrType.Skb)],
  ['bpf_dynptr_from_skb_meta', fromCtx(DynptrType.SkbMeta)],
  ['bpf_dynptr_from_xdp', fromCtx(DynptrType.Xdp)],
  ['bpf_dynptr_slice', sliceKfunc],
  [
    'bpf_dynptr_slice_rdwr',
    (env, r1, r2, r3, r4) => {
      const d = load(env, r1);
      if (d.data === 0 || d.rdonly) return 0n;
      return slice(env, d, u32(r2), r3, u32(r4));
    },
  ],
  [
    'bpf_dynptr_adjust', // (ptr, start, end)
    (env, r1, r2, r3) => {
      const d = load(env, r1);
      const start = u32(r2);
      const end = u32(r3);
      if (d.data === 0 || start > end) return neg(Errno.EINVAL);
      if (start > d.size || end > d.size) return neg(Errno.ERANGE);
      setOffsetSize(env, d, d.offset + start, end - start);
      return 0n;
    },
  ],
  ['bpf_dynptr_is_null', (env, r1) => (load(env, r1).data === 0 ? 1n : 0n)],
  [
    'bpf_dynptr_is_rdonly',
    (env, r1) => {
      const d = load(env, r1);
      return d.data !== 0 && d.rdonly ? 1n : 0n;
    },
  ],
  [
    'bpf_dynptr_size', // __u32: -EINVAL truncated to 32 bits for a null dynptr
    (env, r1) => {
      const d = load(env, r1);
      return d.data === 0 ? neg(Errno.EINVAL) & 0xffffffffn : BigInt(d.size);
    },
  ],
  [
    'bpf_dynptr_clone', // (ptr, clone__uninit)
    (env, r1, r2) => {
      const d = load(env, r1);
      if (d.data === 0) {
        setNull(env, r2);
        return neg(Errno.EINVAL);
      }
      env.memory.writeBytes(r2, env.memory.bytes(r1, BPF_DYNPTR_SIZE).slice());
      return 0n;
    },
  ],
];
