// Checksum helpers: bpf_csum_diff (28), bpf_l3_csum_replace (10), bpf_l4_csum_replace (11),
// bpf_csum_update (40), bpf_csum_level (135). Semantics of net/core/filter.c as kernel 6.18 has
// them (csum_diff folds with csum_from32to16 and, unlike older kernels, takes any size, not only
// multiples of 4) and the csum_replace* / inet_proto_csum_replace* forms of include/net/
// checksum.h and net/core/utils.c; compared with the kernel in kernel-compare.test.ts.
// Test-run skbs carry no CHECKSUM_COMPLETE value (skb->csum is not modelled).

import { Errno } from '../../uapi/errno.js';
import type { RuntimeEnv } from '../helper.js';
import {
  csumAdd,
  csumFold,
  csumPartial,
  csumSub,
  csumUnfold,
  from32to16,
  replaceWords,
} from './csum-math.js';
import { skbExtra } from './skb-state.js';
import { type HelperImpl, neg, skbArg, u32 } from './types.js';

/** bpf_lX_csum_replace flags (uapi <linux/bpf.h>). */
export const BPF_F_HDR_FIELD_MASK = 0xfn;
export const BPF_F_PSEUDO_HDR = 0x10n;
export const BPF_F_MARK_MANGLED_0 = 0x20n;
export const BPF_F_MARK_ENFORCE = 0x40n;
export const BPF_F_IPV6 = 0x80n;
/** CSUM_MANGLED_0: a UDP checksum that computes to 0 is sent as 0xffff. */
const CSUM_MANGLED_0 = 0xffff;
/** bpf_csum_level levels. */
const BPF_CSUM_LEVEL_QUERY = 0n;
const BPF_CSUM_LEVEL_INC = 1n;
const BPF_CSUM_LEVEL_DEC = 2n;
const BPF_CSUM_LEVEL_RESET = 3n;
/** SKB_MAX_CSUM_LEVEL (include/linux/skbuff.h). */
const SKB_MAX_CSUM_LEVEL = 3;

/** csum16_add of include/net/checksum.h: 16-bit end-around add. */
function csum16Add(a: number, b: number): number {
  const r = (a + b) & 0xffff;
  return (r + (r < b ? 1 : 0)) & 0xffff;
}

/** The checksum field at skb offset `off`, after the kernel's argument checks; or an errno. */
function field(env: RuntimeEnv, r1: bigint, r2: bigint, id: number): number | { errno: number } {
  const s = skbArg(env, r1, id);
  const off = u32(r2);
  // offset > 0xffff or odd: -EFAULT; bpf_try_make_writable(skb, off + 2) fails past skb->len.
  if (off > 0xffff || off & 1 || off + 2 > s.len) return { errno: Errno.EFAULT };
  return s.data + off;
}

export const checksumHelpers: readonly HelperImpl[] = [
  {
    id: 28, // bpf_csum_diff(from, from_size, to, to_size, seed)
    fn: (env, r1, r2, r3, r4, r5) => {
      const fromSize = u32(r2);
      const toSize = u32(r4);
      const seed = u32(r5);
      const from = fromSize === 0 ? new Uint8Array(0) : env.memory.bytes(r1, fromSize);
      const to = toSize === 0 ? new Uint8Array(0) : env.memory.bytes(r3, toSize);
      if (fromSize && toSize) return BigInt(from32to16(csumSub(csumPartial(to, seed), csumPartial(from, 0))));
      if (toSize) return BigInt(from32to16(csumPartial(to, seed)));
      if (fromSize) return BigInt(from32to16(~csumPartial(from, ~seed >>> 0) >>> 0));
      return BigInt(from32to16(seed));
    },
  },
  {
    id: 10, // bpf_l3_csum_replace(skb, offset, from, to, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      skbArg(env, r1, 10);
      if (r5 & ~BPF_F_HDR_FIELD_MASK) return neg(Errno.EINVAL);
      const at = field(env, r1, r2, 10);
      if (typeof at !== 'number') return neg(at.errno);
      const v = env.memory.view;
      const check = v.getUint16(at, true);
      let out: number;
      switch (r5 & BPF_F_HDR_FIELD_MASK) {
        case 0n: // csum_replace_by_diff
          if (r3 !== 0n) return neg(Errno.EINVAL);
          out = csumFold(csumAdd(u32(r4), ~csumUnfold(check) >>> 0));
          break;
        case 2n: // csum_replace2: 16-bit arithmetic
          out =
            ~csum16Add(csum16Add(~check & 0xffff, ~Number(r3 & 0xffffn) & 0xffff), Number(r4 & 0xffffn)) &
            0xffff;
          break;
        case 4n: // csum_replace4
          out = csumFold(csumAdd(csumSub(~csumUnfold(check) >>> 0, u32(r3)), u32(r4)));
          break;
        default:
          return neg(Errno.EINVAL);
      }
      v.setUint16(at, out, true);
      return 0n;
    },
  },
  {
    id: 11, // bpf_l4_csum_replace(skb, offset, from, to, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      skbArg(env, r1, 11);
      const known =
        BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6;
      if (r5 & ~known) return neg(Errno.EINVAL);
      const at = field(env, r1, r2, 11);
      if (typeof at !== 'number') return neg(at.errno);
      const mangled0 = (r5 & BPF_F_MARK_MANGLED_0) !== 0n;
      const v = env.memory.view;
      const check = v.getUint16(at, true);
      // A zero UDP checksum means "none": leave it unless told to enforce.
      if (mangled0 && !(r5 & BPF_F_MARK_ENFORCE) && check === 0) return 0n;
      // inet_proto_csum_replace*: the skb is never CHECKSUM_PARTIAL here, so the field is
      // updated whatever BPF_F_PSEUDO_HDR says (it only matters for skb->csum).
      let diff: number;
      switch (r5 & BPF_F_HDR_FIELD_MASK) {
        case 0n:
          if (r3 !== 0n) return neg(Errno.EINVAL);
          diff = u32(r4);
          break;
        case 2n:
          diff = replaceWords(Number(r3 & 0xffffn), Number(r4 & 0xffffn));
          break;
        case 4n:
          diff = replaceWords(u32(r3), u32(r4));
          break;
        default:
          return neg(Errno.EINVAL);
      }
      let out = csumFold(csumAdd(diff, ~csumUnfold(check) >>> 0));
      if (mangled0 && out === 0) out = CSUM_MANGLED_0;
      v.setUint16(at, out, true);
      return 0n;
    },
  },
  {
    id: 40, // bpf_csum_update(skb, csum): only CHECKSUM_COMPLETE skbs carry a csum to update
    fn: (env, r1) => {
      skbArg(env, r1, 40);
      return neg(Errno.ENOTSUPP);
    },
  },
  {
    id: 135, // bpf_csum_level(skb, level): CHECKSUM_NONE <-> CHECKSUM_UNNECESSARY and its level
    fn: (env, r1, r2) => {
      const e = skbExtra(skbArg(env, r1, 135));
      switch (r2) {
        case BPF_CSUM_LEVEL_QUERY:
          return e.csumUnnecessary ? BigInt(e.csumLevel) : neg(Errno.EACCES);
        case BPF_CSUM_LEVEL_INC: // __skb_incr_checksum_unnecessary
          if (!e.csumUnnecessary) {
            e.csumUnnecessary = true;
            e.csumLevel = 0;
          } else if (e.csumLevel < SKB_MAX_CSUM_LEVEL) e.csumLevel++;
          return 0n;
        case BPF_CSUM_LEVEL_DEC: // __skb_decr_checksum_unnecessary
          if (e.csumUnnecessary) {
            if (e.csumLevel === 0) e.csumUnnecessary = false;
            else e.csumLevel--;
          }
          return 0n;
        case BPF_CSUM_LEVEL_RESET:
          e.csumUnnecessary = false;
          e.csumLevel = 0;
          return 0n;
        default:
          return neg(Errno.EINVAL);
      }
    },
  },
];
