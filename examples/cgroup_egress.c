/* cgroup_egress — what a cgroup's sockets send: bytes and packets per
 * destination IPv4 address (a HASH keyed by the socket's remote address), per
 * address family (a PERCPU_ARRAY), and a block on TCP to one port (.rodata).
 * A cgroup skb program sees the skb from the network header on: its direct
 * packet access starts at the IP header, and the socket's fields (family,
 * remote_ip4) come through __sk_buff. Returns 1 (allow) or 0 (drop).
 * Exercises: SEC("cgroup_skb/egress") (BPF_PROG_TYPE_CGROUP_SKB,
 * BPF_CGROUP_INET_EGRESS), __sk_buff->data/data_end from the network header,
 * ->family, ->remote_ip4, ->len, ->protocol, a mark written to the skb.
 */
#include "common.h"

#define AF_INET 2
#define AF_INET6 10

const volatile __u16 blocked_port = 23;

struct traffic {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* remote IPv4 address, network order */
	__type(value, struct traffic);
} by_destination SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3); /* 0: IPv4, 1: IPv6, 2: other */
	__type(key, __u32);
	__type(value, struct traffic);
} by_family SEC(".maps");

static __always_inline void count(struct traffic *t, __u32 len)
{
	__sync_fetch_and_add(&t->packets, 1);
	__sync_fetch_and_add(&t->bytes, len);
}

/* 1 when the IPv4 packet at c is TCP to blocked_port. */
static __always_inline int blocked(struct cursor *c)
{
	struct iphdr *iph;
	struct tcphdr *th;

	if (parse_ipv4(c, &iph) != IPPROTO_TCP || ipv4_is_later_fragment(iph))
		return 0;
	if (parse_tcp(c, &th))
		return 0;
	return th->dest == bpf_htons(blocked_port);
}

SEC("cgroup_skb/egress")
int cgroup_egress(struct __sk_buff *skb)
{
	struct cursor c = { (void *)(long)skb->data, (void *)(long)skb->data_end };
	__u32 family = skb->family;
	__u32 slot = family == AF_INET ? 0 : family == AF_INET6 ? 1 : 2;
	struct traffic *t = bpf_map_lookup_elem(&by_family, &slot);

	if (t)
		count(t, skb->len);
	if (family != AF_INET || skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	__u32 dst = skb->remote_ip4;
	t = bpf_map_lookup_elem(&by_destination, &dst);
	if (!t) {
		struct traffic first = {};
		bpf_map_update_elem(&by_destination, &dst, &first, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&by_destination, &dst);
	}
	if (t)
		count(t, skb->len);
	if (blocked(&c)) {
		skb->mark = 0xb10c;
		return 0;
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
