/* xdp_global_data — configuration and state in global variables instead of
 * maps: a read-only deny port and drop switch in .rodata (const volatile, set
 * by the loader before load), a writable drop budget initialised in .data,
 * and zero-initialised counters in .bss. TCP to the deny port is dropped
 * while the budget lasts; then it passes. A string constant lives in .rodata
 * too.
 * Exercises: BPF_PSEUDO_MAP_VALUE loads of .rodata/.data/.bss (libbpf's
 * internal array maps), BPF_F_RDONLY_PROG freezing of .rodata, dead-code
 * elimination on const volatile by the verifier.
 */
#include "common.h"

const volatile __u16 deny_port = 23;	/* .rodata */
const volatile __u8 drop_enabled = 1;	/* .rodata */
__u64 drop_budget = 1000;		/* .data */
__u64 seen_packets;			/* .bss */
__u64 dropped_packets;			/* .bss */
__u64 last_len;				/* .bss */
static const char tag[8] = "tsbpf!";	/* .rodata */
char last_tag[8];			/* .bss */

SEC("xdp")
int xdp_global_data(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	int vlans;

	__sync_fetch_and_add(&seen_packets, 1);
	last_len = c.end - c.pos;
	__builtin_memcpy(last_tag, tag, sizeof(tag));

	if (!drop_enabled)
		return XDP_PASS;
	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4(&c, &iph) != IPPROTO_TCP || ipv4_is_later_fragment(iph))
		return XDP_PASS;
	if (parse_tcp(&c, &th) < 0)
		return XDP_PASS;
	if (th->dest != bpf_htons(deny_port) || drop_budget == 0)
		return XDP_PASS;
	drop_budget--;
	__sync_fetch_and_add(&dropped_packets, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
