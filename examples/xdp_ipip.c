/* xdp_ipip — IPv4-in-IPv4 (IP protocol 4, RFC 2003) in XDP.
 * xdp_ipip_encap wraps every untagged IPv4 packet in an outer IPv4 header
 * (addresses from .rodata) and returns XDP_TX; xdp_ipip_decap removes the
 * outer header of IPIP packets whose outer IHL is 5 and passes the inner
 * packet. Other frames pass untouched.
 * Exercises: bpf_xdp_adjust_head (-20 / +20), building a header in packet
 * memory, bpf_csum_diff for the outer header checksum, XDP_TX.
 */
#include "common.h"

const volatile __be32 tunnel_src = bpf_htonl(0xc0000201); /* 192.0.2.1 */
const volatile __be32 tunnel_dst = bpf_htonl(0xc6336402); /* 198.51.100.2 */

SEC("xdp")
int xdp_ipip_encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, copy;
	struct iphdr *inner = (void *)(eth + 1), *outer;
	__u16 inner_len;

	if ((void *)(inner + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__builtin_memcpy(&copy, eth, sizeof(copy));
	inner_len = bpf_ntohs(inner->tot_len);
	if (inner_len > 0xffff - sizeof(*outer))
		return XDP_DROP;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*outer)))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > end)
		return XDP_ABORTED;

	__builtin_memcpy(eth, &copy, sizeof(copy));
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tunnel_src;
	outer->daddr = tunnel_dst;
	outer->check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0));
	return XDP_TX;
}

SEC("xdp")
int xdp_ipip_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, copy;
	struct iphdr *outer = (void *)(eth + 1);

	if ((void *)(outer + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || outer->protocol != IPPROTO_IPIP || outer->ihl != 5)
		return XDP_PASS;
	__builtin_memcpy(&copy, eth, sizeof(copy));

	if (bpf_xdp_adjust_head(ctx, (int)sizeof(*outer)))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &copy, sizeof(copy));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
