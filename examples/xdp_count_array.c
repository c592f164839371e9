/* xdp_count_array — counts packets and bytes per IP protocol number in an
 * ARRAY (shared, updated with atomic adds) and per L3 family in a
 * PERCPU_ARRAY (one slot per CPU, plain adds). Always XDP_PASS.
 * Exercises: BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY,
 * bpf_map_lookup_elem, __sync_fetch_and_add (BPF_ATOMIC add), IPv4/IPv6
 * parsing.
 */
#include "common.h"

struct counter {
	__u64 packets;
	__u64 bytes;
};

enum l3_kind { L3_OTHER = 0, L3_IPV4 = 1, L3_IPV6 = 2, L3_ARP = 3, L3_MAX = 4 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counter);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, L3_MAX);
	__type(key, __u32);
	__type(value, struct counter);
} l3_stats SEC(".maps");

SEC("xdp")
int xdp_count_array(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u64 len = c.end - c.pos;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	struct counter *cnt;
	__u32 kind = L3_OTHER;
	int vlans, proto, l4 = -1;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto < 0)
		return XDP_PASS;
	if (proto == bpf_htons(ETH_P_IP)) {
		kind = L3_IPV4;
		l4 = parse_ipv4(&c, &iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		kind = L3_IPV6;
		l4 = parse_ipv6(&c, &ip6h);
	} else if (proto == bpf_htons(ETH_P_ARP)) {
		kind = L3_ARP;
	}

	cnt = bpf_map_lookup_elem(&l3_stats, &kind);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	}
	if (l4 >= 0) {
		__u32 key = l4;

		cnt = bpf_map_lookup_elem(&proto_stats, &key);
		if (cnt) {
			__sync_fetch_and_add(&cnt->packets, 1);
			__sync_fetch_and_add(&cnt->bytes, len);
		}
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
