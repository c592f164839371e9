/* workloads.c — the benchmark workload set (bench/workloads.bench.ts): five XDP programs that
 * stand for what real packet programs spend their time on, each checked against the running
 * kernel by bench/workloads.test.ts so that none can turn into a no-op unnoticed.
 *
 *   wl_drop     an immediate XDP_DROP: the fixed cost of one run
 *   wl_parse    Ethernet/IPv4/UDP parse with a verdict (drop TTL <= 1 and UDP port 9)
 *   wl_count    the same parse plus a per-flow hash-map counter (lookup, atomic adds, insert)
 *   wl_csum     verifies the UDP checksum over the pseudo-header and the whole datagram: a loop
 *               of 16-bit loads whose length follows the frame (64 and 1500 bytes)
 *   wl_rewrite  swaps the MACs and rewrites the IPv4 destination, updating the IPv4 header
 *               checksum by hand (RFC 1624) and the UDP checksum with bpf_csum_diff; XDP_TX
 *
 * Built by scripts/fixtures/workloads.sh (clang-19, -mcpu=v3) into workloads.o.
 */
#include "common.h"

/* UDP port 9 is the discard service (RFC 863): the parse workload drops it. */
#define DISCARD_PORT 9
/* The largest UDP datagram in a 1500-byte-MTU frame: 1500 - 20 bytes of IPv4 header. */
#define MAX_UDP_LEN 1480
/* The destination wl_rewrite writes: 192.0.2.1 (RFC 5737 TEST-NET-1). */
#define NEW_DADDR 0xc0000201

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

/* Ethernet (with VLAN tags), IPv4, UDP: 0 with the headers, -1 for anything else. */
static __always_inline int parse_udp4(struct cursor *c, struct ethhdr **eth, struct iphdr **iph,
				      struct udphdr **uh)
{
	int vlans;

	if (parse_eth(c, eth, &vlans) != bpf_htons(ETH_P_IP))
		return -1;
	if (parse_ipv4(c, iph) != IPPROTO_UDP || ipv4_is_later_fragment(*iph))
		return -1;
	return parse_udp(c, uh);
}

SEC("xdp")
int wl_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int wl_parse(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *uh;

	if (parse_udp4(&c, &eth, &iph, &uh) < 0)
		return XDP_DROP;
	if (iph->ttl <= 1 || uh->dest == bpf_htons(DISCARD_PORT))
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int wl_count(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *uh;
	struct flow_key key = {};
	struct flow_stats *stats;
	__u64 len = ctx->data_end - ctx->data;

	if (parse_udp4(&c, &eth, &iph, &uh) < 0)
		return XDP_DROP;
	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.sport = uh->source;
	key.dport = uh->dest;
	stats = bpf_map_lookup_elem(&flows, &key);
	if (stats) {
		__sync_fetch_and_add(&stats->packets, 1);
		__sync_fetch_and_add(&stats->bytes, len);
	} else {
		struct flow_stats fresh = { 1, len };

		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
	}
	return XDP_PASS;
}

SEC("xdp")
int wl_csum(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { (void *)(long)ctx->data, end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *uh;
	__u16 *word;
	__u32 sum, ulen, words;

	if (parse_udp4(&c, &eth, &iph, &uh) < 0)
		return XDP_DROP;
	if (uh->check == 0)
		return XDP_PASS; /* sent without a checksum (RFC 768) */
	ulen = bpf_ntohs(uh->len);
	if (ulen > MAX_UDP_LEN)
		return XDP_DROP;
	/* The pseudo-header (RFC 768): addresses, protocol, UDP length. The words are summed as
	 * loaded; a one's-complement sum is the same in either byte order, swapped (RFC 1071 2(B)). */
	sum = (iph->saddr & 0xffff) + (iph->saddr >> 16) + (iph->daddr & 0xffff) + (iph->daddr >> 16) +
	      bpf_htons(IPPROTO_UDP) + uh->len;
	word = (__u16 *)uh;
	words = ulen / 2;
	for (__u32 i = 0; i < MAX_UDP_LEN / 2; i++) {
		if (i >= words)
			break;
		if ((void *)(word + 1) > end)
			return XDP_DROP;
		sum += *word;
		word++;
	}
	if (ulen & 1) {
		__u8 *last = (__u8 *)word;

		if ((void *)(last + 1) > end)
			return XDP_DROP;
		sum += *last; /* padded with a zero byte, as loaded on a little-endian machine */
	}
	return csum_fold(sum) == 0 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int wl_rewrite(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *uh;
	unsigned char mac[ETH_ALEN];
	__be32 old_daddr, new_daddr = bpf_htonl(NEW_DADDR);
	__u16 check;

	if (parse_udp4(&c, &eth, &iph, &uh) < 0)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	old_daddr = iph->daddr;
	iph->daddr = new_daddr;
	/* The IPv4 header checksum by hand, one 16-bit half of the address at a time (RFC 1624). */
	check = csum_replace2(iph->check, old_daddr & 0xffff, new_daddr & 0xffff);
	iph->check = csum_replace2(check, old_daddr >> 16, new_daddr >> 16);
	/* The UDP checksum covers the address through the pseudo-header; 0 means "none". */
	if (uh->check) {
		check = csum_fold(bpf_csum_diff(&old_daddr, 4, &new_daddr, 4, (__u16)~uh->check));
		uh->check = check ? check : 0xffff;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
