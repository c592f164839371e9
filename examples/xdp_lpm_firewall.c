/* xdp_lpm_firewall — a source-address firewall: the longest matching IPv4 or
 * IPv6 prefix in an LPM trie gives the verdict (XDP_DROP or XDP_PASS); no
 * match passes. A per-verdict counter in .bss records what happened.
 * Exercises: BPF_MAP_TYPE_LPM_TRIE (BPF_F_NO_PREALLOC, 4- and 16-byte keys
 * after a prefixlen), .bss globals, IPv4/IPv6 parsing.
 */
#include "common.h"

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} fw_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, __u32);
} fw_v6 SEC(".maps");

__u64 verdicts[XDP_REDIRECT + 1];

static __always_inline int account(__u32 action)
{
	if (action != XDP_DROP)
		action = XDP_PASS;
	__sync_fetch_and_add(&verdicts[action], 1);
	return action;
}

SEC("xdp")
int xdp_lpm_firewall(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__u32 *action;
	int vlans, proto;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto == bpf_htons(ETH_P_IP)) {
		struct lpm_v4_key k = { .prefixlen = 32 };

		if (parse_ipv4(&c, &iph) < 0)
			return account(XDP_DROP);
		__builtin_memcpy(k.addr, &iph->saddr, sizeof(k.addr));
		action = bpf_map_lookup_elem(&fw_v4, &k);
		return account(action ? *action : XDP_PASS);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct lpm_v6_key k = { .prefixlen = 128 };

		if (parse_ipv6(&c, &ip6h) < 0)
			return account(XDP_DROP);
		__builtin_memcpy(k.addr, &ip6h->saddr, sizeof(k.addr));
		action = bpf_map_lookup_elem(&fw_v6, &k);
		return account(action ? *action : XDP_PASS);
	}
	return account(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
