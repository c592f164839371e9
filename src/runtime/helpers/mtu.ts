// bpf_check_mtu (163) for XDP and TC: is the packet, grown or shrunk by len_diff (or the L3
// length the program passes in *mtu_len), within the MTU of its device or of `ifindex`? Writes
// the device's MTU to *mtu_len. Semantics of net/core/filter.c (bpf_skb_check_mtu,
// bpf_xdp_check_mtu, __dev_via_ifindex): lengths are compared at L2 (MTU + the 14-byte Ethernet
// header, hard_header_len of lo and veth alike), in signed 32-bit arithmetic as the kernel's ints.
// Device MTUs: lo 65536, others the FibTable's `mtu` or 1500. Test-run skbs are never GSO.

import { Errno } from '../../uapi/errno.js';
import { XdpContext } from '../context/xdp.js';
import type { RuntimeEnv } from '../helper.js';
import { skbDevice } from './skb-state.js';
import { type HelperImpl, neg, s32, skbArg, u32, xdpArg } from './types.js';

const BPF_MTU_CHK_SEGS = 1n;
const BPF_MTU_CHK_RET_SUCCESS = 0n;
const BPF_MTU_CHK_RET_FRAG_NEEDED = 1n;
const HARD_HEADER_LEN = 14;
const LOOPBACK_MTU = 65536;
const DEFAULT_MTU = 1500;

/** The MTU of device `ifindex`, or undefined when no such device exists (-ENODEV). */
export function deviceMtu(env: RuntimeEnv, ifindex: number): number | undefined {
  if (ifindex === 1) return env.fib?.devices.find((d) => d.ifindex === 1)?.mtu ?? LOOPBACK_MTU;
  if (!env.interfaces.has(ifindex)) return undefined;
  return env.fib?.devices.find((d) => d.ifindex === ifindex)?.mtu ?? DEFAULT_MTU;
}

export const mtuHelpers: readonly HelperImpl[] = [
  {
    id: 163, // bpf_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags)
    fn: (env, r1, r2, r3, r4, r5) => {
      const ctx = env.ctx instanceof XdpContext ? xdpArg(env, r1, 163) : skbArg(env, r1, 163);
      const xdp = ctx instanceof XdpContext;
      const mtuLen = env.memory.bytes(r3, 4, 'write');
      const view = new DataView(mtuLen.buffer, mtuLen.byteOffset, 4);
      const given = view.getUint32(0, true);
      const lenDiff = s32(r4);
      if (xdp ? r5 !== 0n : (r5 & ~BPF_MTU_CHK_SEGS) !== 0n) return neg(Errno.EINVAL);
      if (!xdp && r5 & BPF_MTU_CHK_SEGS && (lenDiff !== 0 || given !== 0)) return neg(Errno.EINVAL);
      const own = xdp ? ctx.ingressIfindex || 1 : skbDevice(ctx);
      const mtu = deviceMtu(env, u32(r2) === 0 ? own : u32(r2));
      if (mtu === undefined) return neg(Errno.ENODEV);
      const devLen = (mtu + HARD_HEADER_LEN) | 0;
      const pktLen = xdp ? ctx.dataEnd - ctx.data : ctx.len;
      const len = ((given !== 0 ? given + HARD_HEADER_LEN : pktLen) + lenDiff) | 0;
      view.setUint32(0, mtu, true);
      return len <= devLen ? BPF_MTU_CHK_RET_SUCCESS : BPF_MTU_CHK_RET_FRAG_NEEDED;
    },
  },
];
