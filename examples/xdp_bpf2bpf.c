/* xdp_bpf2bpf — the same port filter as a chain of real BPF function calls
 * instead of inlined code: static __noinline subprograms (verified in the
 * caller's context, so they may take packet pointers) and global functions
 * (verified on their own from their BTF signature, so they take only the
 * context or scalars). Drops TCP/UDP to a port in the deny list, passes the
 * rest.
 * Exercises: BPF_PSEUDO_CALL, static and global subprograms, BTF func info
 * (BTF_FUNC_STATIC / BTF_FUNC_GLOBAL), passing a stack pointer to a callee.
 */
#include "common.h"

/* Global: verified alone, takes a scalar, returns a scalar. */
__noinline int port_denied(__u32 port)
{
	switch (port) {
	case 23:	/* telnet */
	case 135:	/* msrpc */
	case 445:	/* smb */
		return 1;
	default:
		return 0;
	}
}

/* Global: takes the context, re-derives its own packet pointers. */
__noinline int frame_len(struct xdp_md *ctx)
{
	if (!ctx)
		return 0;
	return ctx->data_end - ctx->data;
}

/* Static: gets packet pointers from the caller, writes through a stack
 * pointer. Returns the destination port in host order or -1. */
static __noinline int l4_dport(void *pos, void *end, __u8 proto, __u16 *out)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = pos;

		if ((void *)(th + 1) > end)
			return -1;
		*out = bpf_ntohs(th->dest);
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = pos;

		if ((void *)(uh + 1) > end)
			return -1;
		*out = bpf_ntohs(uh->dest);
		return 0;
	}
	return -1;
}

/* Static: walks L2/L3 and hands back the L4 protocol and position. */
static __noinline int find_l4(struct cursor *c, __u8 *proto)
{
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	int vlans, l3, l4;

	l3 = parse_eth(c, &eth, &vlans);
	if (l3 == bpf_htons(ETH_P_IP)) {
		l4 = parse_ipv4(c, &iph);
		if (l4 < 0 || ipv4_is_later_fragment(iph))
			return -1;
	} else if (l3 == bpf_htons(ETH_P_IPV6)) {
		l4 = parse_ipv6(c, &ip6h);
		if (l4 < 0)
			return -1;
	} else {
		return -1;
	}
	*proto = l4;
	return 0;
}

SEC("xdp")
int xdp_bpf2bpf(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u16 dport = 0;
	__u8 proto = 0;

	if (frame_len(ctx) < (int)sizeof(struct ethhdr))
		return XDP_DROP;
	if (find_l4(&c, &proto) < 0)
		return XDP_PASS;
	if (l4_dport(c.pos, c.end, proto, &dport) < 0)
		return XDP_PASS;
	return port_denied(dport) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
