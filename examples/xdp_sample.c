/* xdp_sample — a 1-in-N packet sampler that logs to the trace pipe: each
 * packet draws bpf_get_prandom_u32(); a hit prints the length, CPU and a
 * timestamp with bpf_printk (three arguments, the bpf_trace_printk form) and
 * a hit on an IPv4 packet prints the addresses with a direct
 * bpf_trace_printk call. Always XDP_PASS.
 * Exercises: bpf_get_prandom_u32, bpf_get_smp_processor_id, bpf_ktime_get_ns,
 * bpf_printk / bpf_trace_printk (format strings in .rodata), .rodata config.
 */
#include "common.h"

const volatile __u32 sample_one_in = 64;

SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u32 len = c.end - c.pos;
	struct ethhdr *eth;
	struct iphdr *iph;
	int vlans;

	if (sample_one_in == 0 || bpf_get_prandom_u32() % sample_one_in != 0)
		return XDP_PASS;

	bpf_printk("xdp_sample: len=%u cpu=%u t=%llu", len, bpf_get_smp_processor_id(),
		   bpf_ktime_get_ns());

	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &iph) >= 0) {
		static const char fmt[] = "xdp_sample: %pI4 -> %pI4\n";

		bpf_trace_printk(fmt, sizeof(fmt), &iph->saddr, &iph->daddr);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
