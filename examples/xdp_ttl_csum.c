/* xdp_ttl_csum — rewrites IPv4 headers in place and keeps the header
 * checksum right without recomputing it: TTL is decremented with the
 * RFC 1624 incremental update done in plain arithmetic, and the DSCP field is
 * set from .rodata with bpf_csum_diff over the first 32-bit word. Packets
 * whose TTL would reach 0 are dropped; the rest return XDP_TX.
 * Exercises: in-place packet writes, incremental checksum (RFC 1624),
 * bpf_csum_diff with a seed, .rodata config.
 */
#include "common.h"

const volatile __u8 new_dscp = 46; /* EF, RFC 3246 */

SEC("xdp")
int xdp_ttl_csum(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 old_word, new_word;
	__u16 old_ttl_proto;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4(&c, &iph) < 0)
		return XDP_PASS;
	if (iph->ttl <= 1)
		return XDP_DROP;

	/* TTL shares a 16-bit word with the protocol field. */
	old_ttl_proto = *(__u16 *)&iph->ttl;
	iph->ttl--;
	iph->check = csum_replace2(iph->check, old_ttl_proto, *(__u16 *)&iph->ttl);

	/* DSCP is the top six bits of the TOS byte, in the header's first word. */
	old_word = *(__u32 *)iph;
	iph->tos = (new_dscp << 2) | (iph->tos & 3);
	new_word = *(__u32 *)iph;
	iph->check = csum_fold(bpf_csum_diff(&old_word, 4, &new_word, 4, (__u16)~iph->check));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
