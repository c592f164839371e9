/* xdp_meta — leaves metadata in front of the packet for the TC layer:
 * bpf_xdp_adjust_meta grows the metadata area by sizeof(struct xdp_meta)
 * and the program writes a mark and the L4 protocol there. tc_meta_reader.c
 * reads it back through __sk_buff->data_meta. Always XDP_PASS (ABORTED when
 * the driver offers no metadata room).
 * Exercises: bpf_xdp_adjust_meta, xdp_md->data_meta, bounds check of the
 * metadata area against data.
 */
#include "common.h"

const volatile __u32 meta_mark = 0x7a7a;

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	struct xdp_meta *meta;
	int vlans, proto, l4 = 0;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > data)
		return XDP_ABORTED;

	c.pos = data;
	c.end = (void *)(long)ctx->data_end;
	proto = parse_eth(&c, &eth, &vlans);
	if (proto == bpf_htons(ETH_P_IP))
		l4 = parse_ipv4(&c, &iph);
	else if (proto == bpf_htons(ETH_P_IPV6))
		l4 = parse_ipv6(&c, &ip6h);

	meta->mark = meta_mark;
	meta->l4_proto = l4 < 0 ? 0 : l4;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
