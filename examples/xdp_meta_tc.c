/* xdp_meta_tc — metadata from XDP to TC: the XDP program puts the IPv4 TTL in
 * front of the packet (bpf_xdp_adjust_meta), and the TC ingress program reads
 * it through __sk_buff->data_meta and counts frames per TTL in `ttls`;
 * frames that reach TC without metadata count under key 256. TTL 0 frames
 * are shot by TC.
 * Exercises: bpf_xdp_adjust_meta, __sk_buff->data_meta, XDP_PASS into TC.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 257);
	__type(key, __u32);
	__type(value, __u64);
} ttls SEC(".maps");

SEC("xdp")
int xdp_put_ttl(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 *meta;
	int vlans;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32)))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	c.pos = (void *)(long)ctx->data;
	c.end = (void *)(long)ctx->data_end;
	if ((void *)(meta + 1) > c.pos)
		return XDP_ABORTED;
	*meta = 256;
	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &iph) >= 0)
		*meta = iph->ttl;
	return XDP_PASS;
}

SEC("tc")
int tc_count_ttl(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	__u32 *meta = (void *)(long)skb->data_meta;
	__u32 key = 256;
	__u64 one = 1, *n;

	if ((void *)(meta + 1) <= data)
		key = *meta;
	n = bpf_map_lookup_elem(&ttls, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&ttls, &key, &one, BPF_NOEXIST);
	return key == 0 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
