// The inputs the parity test gives both backends besides the bare packet: contexts (ctx_in) for
// each program type that takes one, with fields the kernel accepts and programs can observe, and
// the IPv4 addresses found in the packets (probe values for bloom filters, which cannot be walked).

import { ctxKind, ctxSize, type ProgTypeName, SkBuff, XdpMd } from '../../src/uapi/index.js';

export interface CtxVariant {
  readonly label: string;
  readonly ctx: Uint8Array;
}

/**
 * The ctx_in inputs for a program type (none for types without a context), each with fields the
 * kernel accepts and programs can observe. struct xdp_md: received on lo (ifindex 1) queue 0,
 * egress_ifindex 0 (bpf_prog_test_run_xdp's rules); then with 8 bytes of the frame as metadata
 * (xdp_md.data = metadata length); then with data_end at 40 so the rest of a longer frame becomes
 * a fragment (refused alike unless the program was loaded with BPF_F_XDP_HAS_FRAGS). struct
 * __sk_buff: the fields convert___skb_to_skb() takes (mark, priority, ingress_ifindex, ifindex,
 * cb[], tstamp); then wire_len, gso_segs, gso_size and hwtstamp; any other byte set is refused.
 */
export function ctxInputs(type: ProgTypeName, data: Uint8Array): CtxVariant[] {
  const kind = ctxKind(type);
  if (kind === undefined) return [];
  const make = (fill: (v: DataView) => void): Uint8Array => {
    const ctx = new Uint8Array(ctxSize(kind));
    fill(new DataView(ctx.buffer));
    return ctx;
  };
  if (kind === 'xdp_md') {
    const xdp = (meta: number, end: number) =>
      make((v) => {
        v.setUint32(XdpMd.data!, meta, true);
        v.setUint32(XdpMd.data_end!, end, true);
        v.setUint32(XdpMd.ingress_ifindex!, 1, true);
      });
    return [
      { label: 'ctx_in', ctx: xdp(0, data.length) },
      { label: 'ctx_in, 8-byte metadata', ctx: xdp(8, data.length) },
      { label: 'ctx_in, linear part 40 bytes', ctx: xdp(0, Math.min(40, data.length)) },
    ];
  }
  const base = (v: DataView) => {
    v.setUint32(SkBuff.mark!, 0x5eed0001, true);
    v.setUint32(SkBuff.priority!, 6, true);
    v.setUint32(SkBuff.ingress_ifindex!, 1, true);
    v.setUint32(SkBuff.ifindex!, 1, true);
    for (let k = 0; k < 5; k++) v.setUint32(SkBuff.cb! + 4 * k, 0x0c0b0000 + k, true);
    v.setBigUint64(SkBuff.tstamp!, 1_000_000_007n, true);
  };
  return [
    { label: 'ctx_in', ctx: make(base) },
    {
      label: 'ctx_in with gso fields',
      ctx: make((v) => {
        base(v);
        v.setUint32(SkBuff.wire_len!, data.length + 100, true);
        v.setUint32(SkBuff.gso_segs!, 2, true);
        v.setUint32(SkBuff.gso_size!, 1400, true);
        v.setBigUint64(SkBuff.hwtstamp!, 77n, true);
      }),
    },
  ];
}

const ETH_P_IP = 0x0800;
const VLAN_TPIDS = new Set([0x8100, 0x88a8]);

/** Source and destination IPv4 addresses (network order) of the packets that carry IPv4 after up to two VLAN tags. */
export function ipv4Addresses(packets: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const p of packets) {
    let off = 12;
    for (
      let tags = 0;
      tags < 2 && off + 2 <= p.length && VLAN_TPIDS.has((p[off]! << 8) | p[off + 1]!);
      tags++
    )
      off += 4;
    if (off + 2 > p.length || ((p[off]! << 8) | p[off + 1]!) !== ETH_P_IP) continue;
    const ip = off + 2;
    for (const at of [ip + 12, ip + 16]) {
      if (at + 4 > p.length) continue;
      const a = p.slice(at, at + 4);
      seen.set(a.join('.'), a);
    }
  }
  return [...seen.values()];
}
