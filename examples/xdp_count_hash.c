/* xdp_count_hash — per-source IPv4 counters in a HASH (insert on first
 * sight with BPF_NOEXIST), per-ethertype counters in a PERCPU_HASH, and a
 * flow table keyed by the IPv4 5-tuple in an LRU_HASH that remembers first
 * and last sight with bpf_ktime_get_ns. Always XDP_PASS.
 * Exercises: BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, bpf_map_update_elem
 * flags, bpf_ktime_get_ns, TCP/UDP port parsing.
 */
#include "common.h"

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_val {
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, struct counter);
} src_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, struct counter);
} ethertype_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

SEC("xdp")
int xdp_count_hash(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u64 len = c.end - c.pos;
	struct flow_key fk = {};
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	struct udphdr *uh;
	struct counter *cnt, fresh = { 1, 0 };
	struct flow_val *fv;
	int vlans, proto, l4;
	__u16 etype;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto < 0)
		return XDP_PASS;

	etype = bpf_ntohs(proto);
	cnt = bpf_map_lookup_elem(&ethertype_stats, &etype);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	} else {
		fresh.bytes = len;
		bpf_map_update_elem(&ethertype_stats, &etype, &fresh, BPF_NOEXIST);
	}

	if (proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	l4 = parse_ipv4(&c, &iph);
	if (l4 < 0)
		return XDP_PASS;

	cnt = bpf_map_lookup_elem(&src_stats, &iph->saddr);
	if (cnt) {
		__sync_fetch_and_add(&cnt->packets, 1);
		__sync_fetch_and_add(&cnt->bytes, len);
	} else {
		fresh.packets = 1;
		fresh.bytes = len;
		bpf_map_update_elem(&src_stats, &iph->saddr, &fresh, BPF_NOEXIST);
	}

	fk.saddr = iph->saddr;
	fk.daddr = iph->daddr;
	fk.proto = l4;
	if (!ipv4_is_later_fragment(iph)) {
		if (l4 == IPPROTO_TCP && parse_tcp(&c, &th) == 0) {
			fk.sport = th->source;
			fk.dport = th->dest;
		} else if (l4 == IPPROTO_UDP && parse_udp(&c, &uh) == 0) {
			fk.sport = uh->source;
			fk.dport = uh->dest;
		}
	}

	__u64 now = bpf_ktime_get_ns();

	fv = bpf_map_lookup_elem(&flows, &fk);
	if (fv) {
		fv->last_ns = now;
		fv->packets++;
	} else {
		struct flow_val nv = { now, now, 1 };

		bpf_map_update_elem(&flows, &fk, &nv, BPF_ANY);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
