// The netfilter conntrack kfuncs over the embedder's ConntrackTable: bpf_xdp_ct_lookup and
// bpf_skb_ct_lookup(ctx, tuple, tuple__sz, opts, opts__sz) and bpf_ct_release(ct). Argument
// checks and opts->error values as kernel 6.18 answers them (net/netfilter/nf_conntrack_bpf.c;
// src/runtime/helpers/conntrack-kernel.test.ts): opts__sz 12 or 16 else -EINVAL, reserved bytes
// 0 (13-15; 10-11 of the 12-byte layout, which has no zone), netns_id -1 (the VM has no other namespace: >= 0 is -ENONET), l4proto TCP/UDP else -EPROTO,
// tuple__sz 12 (IPv4) or 36 (IPv6) else -EAFNOSUPPORT, no entry -ENOENT. A hit returns an opaque
// nf_conn handle (8 bytes the program cannot read fields from: they fault rather than read
// invented values) and sets opts->dir; bpf_ct_release frees it.

import { Errno } from '../../uapi/errno.js';
import type { RuntimeEnv } from '../helper.js';
import type { Region } from '../memory.js';
import { type RuntimeHelperFn, u32 } from './types.js';

const OPTS_SZ = 16;
const OPTS_SZ_OLD = 12;
const BPF_F_CURRENT_NETNS = -1;

const handles = new WeakMap<RuntimeEnv, Map<bigint, Region>>();

function setError(env: RuntimeEnv, opts: bigint, errno: number): bigint {
  env.memory.bytes(opts + 4n, 4, 'write');
  env.memory.view.setInt32(Number(opts) + 4, -errno, true);
  return 0n;
}

export function ctLookup(
  env: RuntimeEnv,
  tuple: bigint,
  tupleSz: number,
  opts: bigint,
  optsSz: number,
): bigint {
  if (opts === 0n) return 0n;
  if (optsSz !== OPTS_SZ && optsSz !== OPTS_SZ_OLD) return setError(env, opts, Errno.EINVAL);
  const o = env.memory.bytes(opts, optsSz);
  const ov = new DataView(o.buffer, o.byteOffset, o.byteLength);
  const reserved = optsSz === OPTS_SZ ? o.subarray(13, 16) : o.subarray(10, 12);
  if (tuple === 0n || reserved.some((b) => b !== 0)) return setError(env, opts, Errno.EINVAL);
  const netns = ov.getInt32(0, true);
  if (netns < BPF_F_CURRENT_NETNS) return setError(env, opts, Errno.EINVAL);
  const proto = o[8]!;
  if (proto !== 6 && proto !== 17) return setError(env, opts, Errno.EPROTO);
  if (tupleSz !== 12 && tupleSz !== 36) return setError(env, opts, Errno.EAFNOSUPPORT);
  if (netns !== BPF_F_CURRENT_NETNS) return setError(env, opts, Errno.ENONET);
  const t = env.memory.bytes(tuple, tupleSz).slice();
  const v4 = tupleSz === 12;
  const alen = v4 ? 4 : 16;
  const ports = new DataView(t.buffer, 2 * alen, 4);
  const zone = optsSz === OPTS_SZ ? ov.getUint16(10, true) : 0;
  const hit = env.conntrack.find(
    v4 ? 4 : 6,
    proto,
    t.subarray(0, alen),
    t.subarray(alen, 2 * alen),
    ports.getUint16(0, false),
    ports.getUint16(2, false),
    zone,
  );
  if (hit === undefined) return setError(env, opts, Errno.ENOENT);
  env.memory.view.setUint8(Number(opts) + 9, hit.dir);
  const region = env.memory.allocate('nf_conn', 8, { kind: 'mem', writable: false });
  const live = handles.get(env) ?? new Map<bigint, Region>();
  handles.set(env, live);
  live.set(BigInt(region.start), region);
  return BigInt(region.start);
}

export function ctRelease(env: RuntimeEnv, ct: bigint): bigint {
  const region = handles.get(env)?.get(ct);
  if (region !== undefined) {
    handles.get(env)!.delete(ct);
    env.memory.release(region);
  }
  return 0n;
}

/** The conntrack kfuncs by name. */
export const conntrackKfuncs: readonly (readonly [string, RuntimeHelperFn])[] = [
  [
    'bpf_xdp_ct_lookup',
    (env, _ctx, tuple, sz, opts, optsSz) => ctLookup(env, tuple, u32(sz), opts, u32(optsSz)),
  ],
  [
    'bpf_skb_ct_lookup',
    (env, _ctx, tuple, sz, opts, optsSz) => ctLookup(env, tuple, u32(sz), opts, u32(optsSz)),
  ],
  ['bpf_ct_release', (env, ct) => ctRelease(env, ct)],
];
