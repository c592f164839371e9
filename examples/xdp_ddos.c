/* xdp_ddos — a DDoS drop filter: IPv4 sources listed in `blocklist` are
 * dropped and counted per source; every other frame passes and is counted by
 * verdict in `verdicts` (0: passed, 1: dropped). The main-job example of the
 * README (`tsbpf xdp run`) and a scenario of the simulated data path.
 * Exercises: HASH lookups and in-place value updates from XDP, PERCPU_ARRAY
 * counters, IPv4 parsing through VLAN tags.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* IPv4 source, network order */
	__type(value, __u64);	/* frames dropped from it */
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 verdict, int action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &verdict);

	if (n)
		*n += 1;
	return action;
}

SEC("xdp")
int xdp_ddos(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u64 *dropped;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &iph) < 0)
		return count(0, XDP_PASS);
	dropped = bpf_map_lookup_elem(&blocklist, &iph->saddr);
	if (!dropped)
		return count(0, XDP_PASS);
	__sync_fetch_and_add(dropped, 1);
	return count(1, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
