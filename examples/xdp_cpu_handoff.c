/* xdp_cpu_handoff — a cpumap hand-off: the XDP program spreads IPv4 frames
 * over CPUs 0..nr_cpus-1 by source address (cpus map), and the cpumap program
 * (xdp/cpumap) on the receiving CPU counts each frame under that CPU in
 * `seen` (a PERCPU_ARRAY, so the count lands on the CPU that ran it) and
 * drops frames whose TTL is 1, passing the rest to the stack.
 * Exercises: BPF_MAP_TYPE_CPUMAP with a program, bpf_get_smp_processor_id in
 * a cpumap program.
 */
#include "common.h"

const volatile __u32 nr_cpus = 2;

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int xdp_spread(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 cpu = 0;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &iph) >= 0)
		cpu = nr_cpus ? bpf_ntohl(iph->saddr) % nr_cpus : 0;
	return bpf_redirect_map(&cpus, cpu, XDP_PASS);
}

SEC("xdp/cpumap")
int cpumap_count(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 zero = 0;
	__u64 *n;
	int vlans;

	n = bpf_map_lookup_elem(&seen, &zero);
	if (n)
		*n += 1;
	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &iph) >= 0 &&
	    iph->ttl == 1)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
