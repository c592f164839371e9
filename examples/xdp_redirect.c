/* xdp_redirect — one program per redirect target kind:
 * redirect_devmap (DEVMAP, slot 0), redirect_devmap_hash (DEVMAP_HASH keyed
 * by the ingress ifindex), redirect_cpumap (CPUMAP, CPU chosen by source
 * address hash), redirect_xsk (XSKMAP keyed by the RX queue, falling back to
 * XDP_PASS when no socket is bound: the low bits of the flags argument are the
 * fallback action) and redirect_ifindex (plain bpf_redirect to an ifindex set
 * in .rodata).
 * Exercises: BPF_MAP_TYPE_DEVMAP, DEVMAP_HASH (struct bpf_devmap_val values),
 * CPUMAP (struct bpf_cpumap_val), XSKMAP, bpf_redirect_map, bpf_redirect,
 * xdp_md ingress_ifindex / rx_queue_index reads.
 */
#include "common.h"

const volatile __u32 egress_ifindex = 1;
const volatile __u32 nr_cpus = 4;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_by_ifindex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int redirect_devmap(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_ports, 0, XDP_DROP);
}

SEC("xdp")
int redirect_devmap_hash(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_by_ifindex, ctx->ingress_ifindex, XDP_PASS);
}

SEC("xdp")
int redirect_cpumap(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 cpu = 0;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &iph) >= 0) {
		__u32 h = iph->saddr * 2654435761u; /* Knuth's multiplicative hash */

		cpu = nr_cpus ? (h >> 16) % nr_cpus : 0;
	}
	return bpf_redirect_map(&cpus, cpu, XDP_PASS);
}

SEC("xdp")
int redirect_xsk(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int redirect_ifindex(struct xdp_md *ctx)
{
	return bpf_redirect(egress_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
