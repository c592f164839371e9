/* xdp_for_each — per-destination-port packet counts in a HASH, and on every
 * 64th packet a sweep over the whole map with bpf_for_each_map_elem that
 * sums the counts, finds the busiest port and resets entries below a
 * threshold. Results go to .bss. Always XDP_PASS.
 * Exercises: bpf_for_each_map_elem with a callback taking (map, key, value,
 * ctx), writing through the value pointer in the callback, returning 1 to
 * stop.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u64);
} port_counts SEC(".maps");

struct sweep {
	__u64 total;
	__u64 best_count;
	__u16 best_port;
	__u32 visited;
};

__u64 packets;
__u64 last_total;
__u16 busiest_port;

static long sweep_one(void *map, __u16 *key, __u64 *val, struct sweep *s)
{
	s->total += *val;
	if (*val > s->best_count) {
		s->best_count = *val;
		s->best_port = *key;
	}
	if (*val < 2)
		*val = 0;
	return ++s->visited >= 256; /* 1 stops the walk */
}

SEC("xdp")
int xdp_for_each(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	struct udphdr *uh;
	int vlans, l4;
	__u16 port = 0;
	__u64 one = 1, *cnt;

	if (parse_eth(&c, &eth, &vlans) == bpf_htons(ETH_P_IP)) {
		l4 = parse_ipv4(&c, &iph);
		if (l4 >= 0 && !ipv4_is_later_fragment(iph)) {
			if (l4 == IPPROTO_TCP && parse_tcp(&c, &th) == 0)
				port = bpf_ntohs(th->dest);
			else if (l4 == IPPROTO_UDP && parse_udp(&c, &uh) == 0)
				port = bpf_ntohs(uh->dest);
		}
	}
	if (port) {
		cnt = bpf_map_lookup_elem(&port_counts, &port);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
		else
			bpf_map_update_elem(&port_counts, &port, &one, BPF_NOEXIST);
	}

	if ((__sync_fetch_and_add(&packets, 1) & 63) == 0) {
		struct sweep s = {};

		bpf_for_each_map_elem(&port_counts, sweep_one, &s, 0);
		last_total = s.total;
		busiest_port = s.best_port;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
