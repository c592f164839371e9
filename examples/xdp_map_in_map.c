/* xdp_map_in_map — per-tenant counters chosen through maps of maps: the
 * VLAN count (0, 1, 2) picks an inner ARRAY from an ARRAY_OF_MAPS, and the
 * ethertype picks one from a HASH_OF_MAPS; both outer maps have initial
 * contents declared in .maps (libbpf inserts the inner map fds at load).
 * The inner array slot is the IP protocol class. Always XDP_PASS.
 * Exercises: BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS,
 * inner map templates via __array(values, struct ...), `.values = {...}`
 * initialisers, a lookup on the map pointer returned by a lookup.
 */
#include "common.h"

struct inner_counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner_counters untagged SEC(".maps"), tagged SEC(".maps"), qinq SEC(".maps");
struct inner_counters ipv4_only SEC(".maps"), ipv6_only SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner_counters);
} by_vlan_depth SEC(".maps") = {
	.values = { [0] = &untagged, [1] = &tagged, [2] = &qinq },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner_counters);
} by_ethertype SEC(".maps") = {
	/* libbpf uses the array index as the (u32) key: 0 and 1 here; user
	 * space may add ETH_P_* keys later. */
	.values = { [0] = &ipv4_only, [1] = &ipv6_only },
};

static __always_inline void bump(void *inner, __u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(inner, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_map_in_map(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u32 depth, etype_key, slot = 0;
	int vlans, proto, l4 = -1;
	void *inner;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto < 0)
		return XDP_PASS;
	if (proto == bpf_htons(ETH_P_IP)) {
		etype_key = 0;
		l4 = parse_ipv4(&c, &iph);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		etype_key = 1;
		l4 = parse_ipv6(&c, &ip6h);
	} else {
		etype_key = bpf_ntohs(proto);
	}
	if (l4 == IPPROTO_TCP)
		slot = 1;
	else if (l4 == IPPROTO_UDP)
		slot = 2;
	else if (l4 >= 0)
		slot = 3;

	depth = vlans;
	inner = bpf_map_lookup_elem(&by_vlan_depth, &depth);
	if (inner)
		bump(inner, slot);
	inner = bpf_map_lookup_elem(&by_ethertype, &etype_key);
	if (inner)
		bump(inner, slot);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
