/* xdp_tailcall — a dispatcher that tail-calls into per-protocol programs
 * held in a PROG_ARRAY whose initial contents are declared in .maps
 * (libbpf fills the slots at load). The chain is
 * xdp_dispatch → tail_ipv4 → tail_tcp, or xdp_dispatch → tail_ipv6. Each
 * stage bumps a .bss counter; tail_tcp drops TCP to port 23, everything else
 * passes. A failed tail call (empty slot) falls through to XDP_PASS.
 * Exercises: BPF_MAP_TYPE_PROG_ARRAY with `.values = { [i] = &prog }`,
 * bpf_tail_call, several programs in one object, .bss counters.
 */
#include "common.h"

enum { SLOT_IPV4 = 0, SLOT_IPV6 = 1, SLOT_TCP = 2, SLOT_MAX = 4 };

__u64 stage_hits[4];

static __always_inline void hit(int stage)
{
	__sync_fetch_and_add(&stage_hits[stage & 3], 1);
}

/* Initial slot contents; libbpf writes the program fds after loading. The
 * programs are declared first so the initialiser can name them. */
int tail_ipv4(struct xdp_md *ctx);
int tail_ipv6(struct xdp_md *ctx);
int tail_tcp(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} jmp_table SEC(".maps") = {
	.values = {
		[SLOT_IPV4] = (void *)&tail_ipv4,
		[SLOT_IPV6] = (void *)&tail_ipv6,
		[SLOT_TCP] = (void *)&tail_tcp,
	},
};


SEC("xdp")
int tail_tcp(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	int vlans;

	hit(3);
	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4(&c, &iph) != IPPROTO_TCP || parse_tcp(&c, &th) < 0)
		return XDP_PASS;
	return th->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int tail_ipv4(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	int vlans;

	hit(1);
	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4(&c, &iph) < 0)
		return XDP_DROP;
	if (iph->protocol == IPPROTO_TCP && !ipv4_is_later_fragment(iph))
		bpf_tail_call(ctx, &jmp_table, SLOT_TCP);
	return XDP_PASS;
}

SEC("xdp")
int tail_ipv6(struct xdp_md *ctx)
{
	hit(2);
	return XDP_PASS;
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	int vlans, proto;

	hit(0);
	proto = parse_eth(&c, &eth, &vlans);
	if (proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jmp_table, SLOT_IPV4);
	else if (proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jmp_table, SLOT_IPV6);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
