/* xdp_reflect — an XDP_TX reflector: UDP over IPv4 comes back out of the
 * device it arrived on with the MAC addresses, IPv4 addresses and UDP ports
 * swapped (checksums stay valid: each is a sum over the same swapped words);
 * everything else passes to the stack. Counts reflected frames in `reflected`.
 * Exercises: packet writes, XDP_TX.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} reflected SEC(".maps");

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	unsigned char mac[ETH_ALEN];
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	__u32 zero = 0, addr;
	__u16 port;
	__u64 *n;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &iph) < 0)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_UDP || ipv4_is_later_fragment(iph))
		return XDP_PASS;
	udp = c.pos;
	if ((void *)(udp + 1) > c.end)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	n = bpf_map_lookup_elem(&reflected, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
