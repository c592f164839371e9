/* xdp_fib — an IPv4 forwarder that asks the kernel's FIB: bpf_fib_lookup
 * with the packet's addresses and ingress ifindex; on success the TTL is
 * decremented (incremental checksum), the MAC addresses are replaced with the
 * ones the lookup returned and the frame is redirected through a DEVMAP to
 * the egress ifindex. Anything the FIB cannot resolve (no route, neighbour
 * unknown, not forwarded) goes to the stack with XDP_PASS.
 * Exercises: bpf_fib_lookup (struct bpf_fib_lookup in/out on the stack,
 * BPF_FIB_LKUP_RET_* codes), bpf_redirect_map on a DEVMAP.
 */
#include "common.h"

#ifndef AF_INET
#define AF_INET 2
#endif

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} egress SEC(".maps");

SEC("xdp")
int xdp_fib(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct bpf_fib_lookup fib = {};
	struct ethhdr *eth;
	struct iphdr *iph;
	__u16 old;
	int vlans, rc;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || vlans)
		return XDP_PASS;
	if (parse_ipv4(&c, &iph) < 0 || iph->ttl <= 1)
		return XDP_PASS;

	fib.family = AF_INET;
	fib.tos = iph->tos;
	fib.l4_protocol = iph->protocol;
	fib.tot_len = bpf_ntohs(iph->tot_len);
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	fib.ifindex = ctx->ingress_ifindex;

	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;

	old = *(__u16 *)&iph->ttl;
	iph->ttl--;
	iph->check = csum_replace2(iph->check, old, *(__u16 *)&iph->ttl);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect_map(&egress, fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
