// Redirect helpers: bpf_redirect (23) for XDP and TC, bpf_redirect_map (51) for XDP,
// bpf_redirect_neigh (152) and bpf_redirect_peer (155) for TC. They only record the target
// (env.redirect, the kernel's bpf_redirect_info) and return the verdict; a test run does not
// forward the packet. Semantics from net/core/filter.c (bpf_xdp_redirect, bpf_redirect,
// __bpf_xdp_redirect_map, bpf_redirect_neigh, bpf_redirect_peer).

import { RuntimeFault } from '../../errors.js';
import { XdpContext } from '../context/xdp.js';
import { u32Bytes } from '../maps/base.js';
import { type HelperImpl, mapArg, s32, u32 } from './types.js';

const XDP_ABORTED = 0n;
const XDP_REDIRECT = 4n;
const TC_ACT_SHOT = 2n;
const TC_ACT_REDIRECT = 7n;
const BPF_F_INGRESS = 1n;
const BPF_F_BROADCAST = 8n;
const BPF_F_EXCLUDE_INGRESS = 16n;
/** XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX: the fallback verdict in the low flag bits. */
const ACTION_MASK = 3n;
/** The kernel's internal redirect flags (include/linux/filter.h), kept in RedirectState.flags. */
export const BPF_F_NEIGH = 1n << 16n;
export const BPF_F_PEER = 1n << 17n;
export const BPF_F_NEXTHOP = 1n << 18n;
/** sizeof(struct bpf_redir_neigh): nh_family (u32) and a 16-byte address union. */
const REDIR_NEIGH_SIZE = 20;

export const redirectHelpers: readonly HelperImpl[] = [
  {
    id: 23, // bpf_redirect(ifindex, flags)
    fn: (env, r1, r2) => {
      if (env.ctx instanceof XdpContext) {
        if (r2 !== 0n) return XDP_ABORTED;
        Object.assign(env.redirect, { ifindex: u32(r1), map: undefined, flags: 0n, nexthop: undefined });
        return XDP_REDIRECT;
      }
      if (r2 & ~BPF_F_INGRESS) return TC_ACT_SHOT;
      Object.assign(env.redirect, { ifindex: u32(r1), map: undefined, flags: r2, nexthop: undefined });
      return TC_ACT_REDIRECT;
    },
  },
  {
    id: 152, // bpf_redirect_neigh(ifindex, params, plen, flags)
    fn: (env, r1, r2, r3, r4) => {
      const plen = s32(r3);
      if ((plen !== 0 && plen < REDIR_NEIGH_SIZE) || r4 !== 0n) return TC_ACT_SHOT;
      // The next hop (nh_family, then the IPv4 or IPv6 address) is copied as the kernel does.
      const nexthop = plen === 0 ? undefined : env.memory.bytes(r2, REDIR_NEIGH_SIZE).slice();
      Object.assign(env.redirect, {
        ifindex: u32(r1),
        map: undefined,
        flags: BPF_F_NEIGH | (plen === 0 ? 0n : BPF_F_NEXTHOP),
        nexthop,
      });
      return TC_ACT_REDIRECT;
    },
  },
  {
    id: 155, // bpf_redirect_peer(ifindex, flags)
    fn: (env, r1, r2) => {
      if (r2 !== 0n) return TC_ACT_SHOT;
      Object.assign(env.redirect, {
        ifindex: u32(r1),
        map: undefined,
        flags: BPF_F_PEER,
        nexthop: undefined,
      });
      return TC_ACT_REDIRECT;
    },
  },
  {
    id: 51, // bpf_redirect_map(map, key, flags)
    fn: (env, r1, r2, r3) => {
      const m = mapArg(env, r1, 51);
      let flagMask: bigint;
      switch (m.type) {
        case 'DEVMAP':
        case 'DEVMAP_HASH':
          flagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
          break;
        case 'CPUMAP':
        case 'XSKMAP':
          flagMask = 0n;
          break;
        default:
          throw new RuntimeFault(
            `bpf_redirect_map: map '${m.name}' (${m.type}) is not a redirect map`,
            env.pc,
          );
      }
      if (r3 & ~(ACTION_MASK | flagMask)) return XDP_ABORTED;
      const key = u32(r2);
      const found = m.lookupAddress(u32Bytes(key)) !== 0;
      if (!found && !(r3 & BPF_F_BROADCAST)) {
        env.redirect.map = undefined;
        return r3 & ACTION_MASK;
      }
      Object.assign(env.redirect, {
        ifindex: key,
        map: env.maps.idOf(m),
        flags: r3 & BPF_F_BROADCAST ? r3 : 0n,
        nexthop: undefined,
      });
      return XDP_REDIRECT;
    },
  },
];
