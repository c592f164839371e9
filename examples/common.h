/* common.h — shared, bounds-checked header walkers for the example programs.
 *
 * Every reader checks `ptr + sizeof(*ptr) <= data_end` before touching a byte,
 * which is what the kernel verifier demands for direct packet access. The
 * helpers are `static __always_inline`, so a program that includes this stays
 * one BPF function unless it opts into bpf-to-bpf calls itself. This is not a
 * library for user space and holds no maps.
 */
#ifndef TSBPF_EXAMPLES_COMMON_H
#define TSBPF_EXAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* IEEE 802.1Q tag as it sits after the MAC addresses (kernel: struct vlan_hdr
 * in include/linux/if_vlan.h, which is not a uapi header). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* 802.1Q inside 802.1ad (QinQ) is two tags; more than that we leave alone. */
#define VLAN_MAX_DEPTH 2
#define VLAN_VID_MASK 0x0fff

/* IPv4 flag bits in frag_off (RFC 791 section 3.1). */
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

/* Metadata the XDP program in xdp_meta.c leaves in front of the packet and
 * tc_meta_reader.c picks up through __sk_buff->data_meta. */
struct xdp_meta {
	__u32 mark;
	__u32 l4_proto;
};

/* A read position inside the packet; `end` is data_end. */
struct cursor {
	void *pos;
	void *end;
};

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/* Ethernet plus up to VLAN_MAX_DEPTH tags. Returns the inner ethertype in
 * network byte order, or -1 when the frame is too short. */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **eth_out, int *vlans)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int depth = 0;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vh = c->pos;

		if (!proto_is_vlan(proto))
			break;
		if ((void *)(vh + 1) > c->end)
			return -1;
		proto = vh->h_vlan_encapsulated_proto;
		c->pos = vh + 1;
		depth++;
	}
	*eth_out = eth;
	*vlans = depth;
	return proto;
}

/* IPv4 with options. Rejects IHL < 5, options running past the frame and a
 * total length that claims more bytes than the frame holds. Returns the
 * protocol number or -1. */
static __always_inline int parse_ipv4(struct cursor *c, struct iphdr **out)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > c->end)
		return -1;
	if (iph->version != 4)
		return -1;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < hlen || c->pos + tot > c->end)
		return -1;
	c->pos += hlen;
	*out = iph;
	return iph->protocol;
}

/* Non-first fragments carry no L4 header. */
static __always_inline int ipv4_is_later_fragment(const struct iphdr *iph)
{
	return (bpf_ntohs(iph->frag_off) & IP_OFFMASK) != 0;
}

/* Fixed IPv6 header; extension headers are left to the caller (see
 * xdp_loop.c). Rejects a payload length longer than the frame. Returns the
 * next-header value or -1. */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **out)
{
	struct ipv6hdr *ip6h = c->pos;

	if ((void *)(ip6h + 1) > c->end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	if ((void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len) > c->end)
		return -1;
	c->pos = ip6h + 1;
	*out = ip6h;
	return ip6h->nexthdr;
}

/* TCP with options (data offset >= 5). Returns 0 or -1. */
static __always_inline int parse_tcp(struct cursor *c, struct tcphdr **out)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	if ((void *)(th + 1) > c->end)
		return -1;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	c->pos += hlen;
	*out = th;
	return 0;
}

/* UDP; the length field must cover at least the header. Returns 0 or -1. */
static __always_inline int parse_udp(struct cursor *c, struct udphdr **out)
{
	struct udphdr *uh = c->pos;

	if ((void *)(uh + 1) > c->end)
		return -1;
	if (bpf_ntohs(uh->len) < sizeof(*uh))
		return -1;
	c->pos = uh + 1;
	*out = uh;
	return 0;
}

/* Folds a 32-bit one's-complement sum to 16 bits and complements it
 * (RFC 1071 section 4.1). */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Header checksum of a 20-byte IPv4 header whose check field is zero. */
static __always_inline __u16 ipv4_csum20(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += w[i];
	return csum_fold(sum);
}

/* Incremental update of a 16-bit checksum when one 16-bit word changes,
 * HC' = ~(~HC + ~m + m') (RFC 1624 section 3, eqn. 3). */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32)new;

	return csum_fold(sum);
}

#endif /* TSBPF_EXAMPLES_COMMON_H */
