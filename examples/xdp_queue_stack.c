/* xdp_queue_stack — FIFO and LIFO maps: every IPv4 source address is pushed
 * onto a QUEUE (BPF_EXIST overwrites the oldest entry when full), every
 * frame length onto a STACK; each time the stack holds a length the program
 * peeks at it, and every 16th packet pops it. The last popped values land in
 * .bss. Always XDP_PASS.
 * Exercises: BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (key_size 0),
 * bpf_map_push_elem, bpf_map_peek_elem, bpf_map_pop_elem.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 64);
	__type(value, __be32);
} recent_sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 32);
	__type(value, __u32);
} recent_lengths SEC(".maps");

__u64 packets;
__u32 last_peeked_len;
__u32 last_popped_len;
__be32 oldest_source;

SEC("xdp")
int xdp_queue_stack(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u32 len = c.end - c.pos, top;
	struct ethhdr *eth;
	struct iphdr *iph;
	__be32 src;
	int vlans;
	__u64 n = __sync_fetch_and_add(&packets, 1);

	bpf_map_push_elem(&recent_lengths, &len, BPF_EXIST);
	if (bpf_map_peek_elem(&recent_lengths, &top) == 0)
		last_peeked_len = top;
	if ((n & 15) == 15 && bpf_map_pop_elem(&recent_lengths, &top) == 0)
		last_popped_len = top;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &iph) < 0)
		return XDP_PASS;
	src = iph->saddr;
	bpf_map_push_elem(&recent_sources, &src, BPF_EXIST);
	if (bpf_map_peek_elem(&recent_sources, &src) == 0)
		oldest_source = src;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
