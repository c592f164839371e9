/* xdp_bloom — a blocklist with a BLOOM_FILTER in front of an exact HASH:
 * a source address the filter has never seen is certainly not blocked
 * (fast path), a "maybe" is confirmed in the hash, and confirmed sources are
 * dropped. TCP SYN sources are added to a second filter of sources seen,
 * counting the new-looking ones in .bss.
 * Exercises: BPF_MAP_TYPE_BLOOM_FILTER (no key, map_extra = number of hash
 * functions), bpf_map_peek_elem as membership test, bpf_map_push_elem to add.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 1024);
	__type(value, __be32);
	__uint(map_extra, 3);
} block_bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 4096);
	__type(value, __be32);
} syn_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u8);
} block_exact SEC(".maps");

__u64 bloom_false_positives;
__u64 new_syn_sources;

SEC("xdp")
int xdp_bloom(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	__be32 src;
	int vlans, l4;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	l4 = parse_ipv4(&c, &iph);
	if (l4 < 0)
		return XDP_PASS;
	src = iph->saddr;

	if (bpf_map_peek_elem(&block_bloom, &src) == 0) {
		if (bpf_map_lookup_elem(&block_exact, &src))
			return XDP_DROP;
		__sync_fetch_and_add(&bloom_false_positives, 1);
	}

	if (l4 == IPPROTO_TCP && !ipv4_is_later_fragment(iph) && parse_tcp(&c, &th) == 0 && th->syn &&
	    bpf_map_peek_elem(&syn_seen, &src) != 0) {
		bpf_map_push_elem(&syn_seen, &src, BPF_ANY);
		__sync_fetch_and_add(&new_syn_sources, 1);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
