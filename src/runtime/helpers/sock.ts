// The socket helpers, on the socket skb->sk points at (struct bpf_sock, runtime/context/skb.ts):
// bpf_sk_fullsock (95), bpf_tcp_sock (96) and bpf_get_listener_sock (98). Semantics of
// net/core/filter.c: a full socket is one not in the time-wait or new-SYN-received state
// (sk_fullsock); a TCP socket is a full stream socket of IPPROTO_TCP; a listener is one in
// TCP_LISTEN. The runtime's sockets are a test run's, closed and of no protocol, as the kernel's
// are: the kernel answers the same (sock-kernel.test.ts).
// Socket lookups (bpf_sk_lookup_tcp/_udp, bpf_skc_lookup_tcp) need the host's sockets, which
// the runtime does not model: a call is NotSupportedError (the verifier checks such programs,
// their references included). bpf_sk_release then has nothing to release: a call is a fault.

import { NotSupportedError, RuntimeFault } from '../../errors.js';
import {
  BpfSock,
  IPPROTO_TCP,
  SOCK_STREAM,
  TCP_LISTEN,
  TCP_NEW_SYN_RECV,
  TCP_TIME_WAIT,
} from '../../uapi/bpf-sock.js';
import { helperName } from '../../uapi/helpers.js';
import type { SkbContext } from '../context/skb.js';
import type { RuntimeEnv } from '../helper.js';
import type { HelperImpl } from './types.js';

/** The socket `r` points at (ARG_PTR_TO_SOCK_COMMON): the run's skb->sk, or a fault. */
function sockArg(env: RuntimeEnv, r: bigint, id: number): { state: number; protocol: number; type: number } {
  const c = env.ctx;
  const sk = c.kind === '__sk_buff' ? (c as SkbContext).sk : 0;
  if (sk === 0 || BigInt(sk) !== r)
    throw new RuntimeFault(`${helperName(id)}: 0x${r.toString(16)} is not a socket`, env.pc);
  const v = env.memory.view;
  return {
    state: v.getUint32(sk + BpfSock.state, true),
    protocol: v.getUint32(sk + BpfSock.protocol, true),
    type: v.getUint32(sk + BpfSock.type, true),
  };
}

const isFull = (state: number): boolean => state !== TCP_TIME_WAIT && state !== TCP_NEW_SYN_RECV;

export const sockHelpers: readonly HelperImpl[] = [
  {
    id: 95, // bpf_sk_fullsock(sk)
    fn: (env, r1) => (isFull(sockArg(env, r1, 95).state) ? r1 : 0n),
  },
  {
    id: 96, // bpf_tcp_sock(sk)
    fn: (env, r1) => {
      const s = sockArg(env, r1, 96);
      if (isFull(s.state) && s.protocol === IPPROTO_TCP && s.type === SOCK_STREAM)
        throw new NotSupportedError('bpf_tcp_sock on a TCP socket (the runtime has no struct bpf_tcp_sock)');
      return 0n;
    },
  },
  ...[84, 85, 99].map((id) => ({
    id, // bpf_sk_lookup_tcp, bpf_sk_lookup_udp, bpf_skc_lookup_tcp(ctx, tuple, size, netns, flags)
    fn: () => {
      throw new NotSupportedError(`${helperName(id)}: looking up the host's sockets in the runtime`);
    },
  })),
  {
    id: 86, // bpf_sk_release(sk): only a looked-up socket is released, and none can be
    fn: (env, r1) => {
      throw new RuntimeFault(`bpf_sk_release: 0x${r1.toString(16)} is not a socket reference`, env.pc);
    },
  },
  {
    id: 98, // bpf_get_listener_sock(sk)
    fn: (env, r1) => (sockArg(env, r1, 98).state === TCP_LISTEN ? r1 : 0n),
  },
];
