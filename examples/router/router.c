/* router — the reference IPv4 data plane of tsbpf's control plane (issue 12):
 * an XDP program that forwards between interfaces from tables a controller
 * programs, a TC ingress program that reads what XDP left in front of the
 * packets it gave to the stack, and a TC egress program that tags the
 * stack's own traffic with the interface's VLAN.
 *
 * Tables (addresses in network byte order):
 *   routes       LPM trie  {prefixlen, IPv4 destination} -> struct route
 *   neighbours   hash      next-hop IPv4 -> struct neigh (its MAC)
 *   ifaces       hash      ifindex -> struct iface (our MAC, the VLAN to tag with)
 *   tx_ports     devmap    ifindex -> ifindex (where forwarded frames go)
 *   flows        LRU hash  5-tuple -> struct flow (counters, where it went)
 *   flow_events  ring buf  a struct flow_event for every new flow
 *   punt         xskmap    ingress ifindex -> AF_XDP socket of the controller
 *                          (bound to queue 0 of that interface)
 *   stats        per-CPU array of counters, one per enum reason
 *
 * Forwarding: the LPM route gives the next hop (0: the destination itself)
 * and the egress interface, or says to ask the kernel's FIB (bpf_fib_lookup),
 * to deliver locally (XDP_PASS) or to punt to the controller (xskmap, and the
 * stack when no socket is bound). A frame with one 802.1Q tag is routed on its
 * inner IPv4 header; on the way out the tag is removed, rewritten or added to
 * match the egress interface's VLAN. TTL is decremented with an incremental
 * checksum (RFC 1624). Whatever XDP cannot forward goes to the stack with a
 * struct router_meta in front of it (bpf_xdp_adjust_meta) naming the reason.
 */
#include "../common.h"

#ifndef AF_INET
#define AF_INET 2
#endif

#define ROUTE_F_FIB 1u   /* ask the kernel's FIB for next hop and MACs */
#define ROUTE_F_LOCAL 2u /* for this host: to the stack */
#define ROUTE_F_PUNT 4u  /* to the controller over AF_XDP */

/* skb->mark of a packet XDP gave to the stack: ROUTER_MARK | reason. */
#define ROUTER_MARK 0x52000000u

enum reason {
	R_FORWARD,
	R_NOT_IPV4,
	R_TTL,
	R_NO_ROUTE,
	R_LOCAL,
	R_PUNT,
	R_NO_NEIGH,
	R_FIB_MISS,
	R_BAD,
	R_TC_INGRESS,
	R_TC_EGRESS,
	R_MAX,
};

struct route_key {
	__u32 prefixlen;
	__u32 addr;
};

struct route {
	__u32 nexthop; /* 0: directly connected */
	__u32 ifindex;
	__u32 flags;
};

struct neigh {
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct iface {
	__u8 mac[ETH_ALEN];
	__u16 vlan; /* 0: untagged */
};

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow {
	__u64 packets;
	__u64 bytes;
	__u32 ifindex;
	__u32 nexthop;
};

struct flow_event {
	struct flow_key key;
	__u32 in_ifindex;
	__u32 out_ifindex;
	__u32 nexthop;
	__u32 vlan;
};

struct router_meta {
	__u32 reason;
	__u32 vlan;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct neigh);
} neighbours SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct iface);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} flow_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} punt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, R_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &reason);

	if (n)
		*n += 1;
}

/* XDP_PASS with the reason in front of the packet for tc_router_ingress. */
static __always_inline int to_stack(struct xdp_md *ctx, __u32 reason, __u32 vlan)
{
	struct router_meta *meta;

	count(reason);
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	meta->reason = reason;
	meta->vlan = vlan;
	return XDP_PASS;
}

/* Counts the frame in its flow; a new flow is announced on flow_events. */
static __always_inline void account(struct xdp_md *ctx, struct flow_key *fk, __u32 len,
				    __u32 ifindex, __u32 nexthop, __u32 vlan)
{
	struct flow *f = bpf_map_lookup_elem(&flows, fk);
	struct flow_event *ev;

	if (f) {
		__sync_fetch_and_add(&f->packets, 1);
		__sync_fetch_and_add(&f->bytes, len);
		return;
	}
	struct flow fresh = { .packets = 1, .bytes = len, .ifindex = ifindex, .nexthop = nexthop };

	bpf_map_update_elem(&flows, fk, &fresh, BPF_NOEXIST);
	ev = bpf_ringbuf_reserve(&flow_events, sizeof(*ev), 0);
	if (!ev)
		return;
	ev->key = *fk;
	ev->in_ifindex = ctx->ingress_ifindex;
	ev->out_ifindex = ifindex;
	ev->nexthop = nexthop;
	ev->vlan = vlan;
	bpf_ringbuf_submit(ev, 0);
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u32 len = ctx->data_end - ctx->data;
	struct route_key rk = { .prefixlen = 32 };
	struct flow_key fk = {};
	__u8 dmac[ETH_ALEN], smac[ETH_ALEN];
	__u32 nexthop, ifindex, vlan = 0, want = 0;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct route *rt;
	struct iface *out;
	void *data, *end;
	int vlans, proto, delta;
	__u16 old;

	proto = parse_eth(&c, &eth, &vlans);
	if (proto < 0) {
		count(R_BAD);
		return XDP_DROP;
	}
	if (vlans > 1)
		return to_stack(ctx, R_NOT_IPV4, 0);
	if (vlans == 1) {
		struct vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > c.end)
			return XDP_DROP;
		vlan = bpf_ntohs(vh->h_vlan_TCI) & VLAN_VID_MASK;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return to_stack(ctx, R_NOT_IPV4, vlan);
	if (parse_ipv4(&c, &iph) < 0) {
		count(R_BAD);
		return XDP_DROP;
	}
	if (iph->ttl <= 1)
		return to_stack(ctx, R_TTL, vlan);

	rk.addr = iph->daddr;
	rt = bpf_map_lookup_elem(&routes, &rk);
	if (!rt)
		return to_stack(ctx, R_NO_ROUTE, vlan);
	if (rt->flags & ROUTE_F_LOCAL)
		return to_stack(ctx, R_LOCAL, vlan);
	if (rt->flags & ROUTE_F_PUNT) {
		count(R_PUNT);
		return bpf_redirect_map(&punt, ctx->ingress_ifindex, XDP_PASS);
	}

	if (rt->flags & ROUTE_F_FIB) {
		struct bpf_fib_lookup fib = {};

		fib.family = AF_INET;
		fib.tos = iph->tos;
		fib.l4_protocol = iph->protocol;
		fib.tot_len = bpf_ntohs(iph->tot_len);
		fib.ipv4_src = iph->saddr;
		fib.ipv4_dst = iph->daddr;
		fib.ifindex = ctx->ingress_ifindex;
		if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
			return to_stack(ctx, R_FIB_MISS, vlan);
		ifindex = fib.ifindex;
		nexthop = fib.ipv4_dst; /* the gateway when the route has one */
		__builtin_memcpy(dmac, fib.dmac, ETH_ALEN);
		__builtin_memcpy(smac, fib.smac, ETH_ALEN);
		out = bpf_map_lookup_elem(&ifaces, &ifindex);
	} else {
		struct neigh *nb;

		nexthop = rt->nexthop ? rt->nexthop : iph->daddr;
		ifindex = rt->ifindex;
		nb = bpf_map_lookup_elem(&neighbours, &nexthop);
		out = bpf_map_lookup_elem(&ifaces, &ifindex);
		if (!nb || !out)
			return to_stack(ctx, R_NO_NEIGH, vlan);
		__builtin_memcpy(dmac, nb->mac, ETH_ALEN);
		__builtin_memcpy(smac, out->mac, ETH_ALEN);
	}
	if (out)
		want = out->vlan & VLAN_VID_MASK;

	fk.saddr = iph->saddr;
	fk.daddr = iph->daddr;
	fk.proto = iph->protocol;
	if ((fk.proto == IPPROTO_TCP || fk.proto == IPPROTO_UDP) && !ipv4_is_later_fragment(iph)) {
		__u16 *ports = c.pos;

		if ((void *)(ports + 2) <= c.end) {
			fk.sport = ports[0];
			fk.dport = ports[1];
		}
	}
	account(ctx, &fk, len, ifindex, nexthop, vlan);

	old = *(__u16 *)&iph->ttl;
	iph->ttl--;
	iph->check = csum_replace2(iph->check, old, *(__u16 *)&iph->ttl);

	/* Remove, keep or add the 4-byte tag, then write the whole L2 header. */
	delta = (vlans ? 4 : 0) - (want ? 4 : 0);
	if (delta && bpf_xdp_adjust_head(ctx, delta))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) + sizeof(struct vlan_hdr) > end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	if (want) {
		struct vlan_hdr *vh = (void *)(eth + 1);

		eth->h_proto = bpf_htons(ETH_P_8021Q);
		vh->h_vlan_TCI = bpf_htons(want);
		vh->h_vlan_encapsulated_proto = bpf_htons(ETH_P_IP);
	} else {
		eth->h_proto = bpf_htons(ETH_P_IP);
	}
	count(R_FORWARD);
	return bpf_redirect_map(&tx_ports, ifindex, 0);
}

SEC("tc")
int tc_router_ingress(struct __sk_buff *skb)
{
	struct router_meta *meta = (void *)(long)skb->data_meta;

	if ((void *)(meta + 1) <= (void *)(long)skb->data) {
		skb->mark = ROUTER_MARK | meta->reason;
		count(R_TC_INGRESS);
	}
	return TC_ACT_OK;
}

SEC("tc")
int tc_router_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct iface *out = bpf_map_lookup_elem(&ifaces, &ifindex);

	count(R_TC_EGRESS);
	if (out && (out->vlan & VLAN_VID_MASK) && !skb->vlan_present &&
	    skb->protocol == bpf_htons(ETH_P_IP))
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), out->vlan & VLAN_VID_MASK);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
