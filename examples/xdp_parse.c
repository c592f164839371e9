/* xdp_parse — walks Ethernet (up to two 802.1Q/802.1ad tags), IPv4 or IPv6,
 * then TCP or UDP, with a bounds check before every read. Frames that are
 * truncated inside a header, or whose IPv4 IHL < 5, IPv4 total length or IPv6
 * payload length overruns the frame, are dropped; everything else passes.
 * Non-first IPv4 fragments pass without an L4 look.
 * Exercises: direct packet access (data/data_end), variable-length headers
 * (IHL, TCP data offset), VLAN/QinQ, fragments; returns XDP_PASS/XDP_DROP.
 */
#include "common.h"

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	struct tcphdr *th;
	struct udphdr *uh;
	int vlans, proto, l4;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto < 0)
		return XDP_DROP;

	if (proto == bpf_htons(ETH_P_IP)) {
		l4 = parse_ipv4(&c, &iph);
		if (l4 < 0)
			return XDP_DROP;
		if (ipv4_is_later_fragment(iph))
			return XDP_PASS;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		l4 = parse_ipv6(&c, &ip6h);
		if (l4 < 0)
			return XDP_DROP;
	} else {
		return XDP_PASS; /* ARP and friends */
	}

	if (l4 == IPPROTO_TCP)
		return parse_tcp(&c, &th) < 0 ? XDP_DROP : XDP_PASS;
	if (l4 == IPPROTO_UDP)
		return parse_udp(&c, &uh) < 0 ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
