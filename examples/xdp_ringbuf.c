/* xdp_ringbuf — reports packets to user space through a BPF ring buffer:
 * a TCP SYN gets a record reserved in place (bpf_ringbuf_reserve), filled and
 * submitted, except that SYNs to port 0 are discarded after reserving; every
 * other IPv4 packet is copied in from the stack with bpf_ringbuf_output.
 * Records carry a timestamp and the CPU number. Always XDP_PASS.
 * Exercises: BPF_MAP_TYPE_RINGBUF, bpf_ringbuf_reserve/submit/discard
 * (reference tracking: every reserve must be released on all paths),
 * bpf_ringbuf_output, bpf_ktime_get_ns, bpf_get_smp_processor_id.
 */
#include "common.h"

struct event {
	__u64 ts_ns;
	__u32 cpu;
	__u32 len;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 kind; /* 1 = SYN (reserved in place), 2 = other (copied) */
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} events SEC(".maps");

__u64 output_errors;

SEC("xdp")
int xdp_ringbuf(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	__u32 len = c.end - c.pos;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	struct event *e;
	int vlans, l4;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	l4 = parse_ipv4(&c, &iph);
	if (l4 < 0)
		return XDP_PASS;

	if (l4 == IPPROTO_TCP && !ipv4_is_later_fragment(iph) && parse_tcp(&c, &th) == 0 &&
	    th->syn && !th->ack) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			return XDP_PASS;
		if (th->dest == 0) {
			bpf_ringbuf_discard(e, 0);
			return XDP_PASS;
		}
		e->ts_ns = bpf_ktime_get_ns();
		e->cpu = bpf_get_smp_processor_id();
		e->len = len;
		e->saddr = iph->saddr;
		e->daddr = iph->daddr;
		e->sport = th->source;
		e->dport = th->dest;
		e->proto = IPPROTO_TCP;
		e->kind = 1;
		e->pad[0] = e->pad[1] = 0;
		bpf_ringbuf_submit(e, 0);
		return XDP_PASS;
	}

	struct event ev = {
		.ts_ns = bpf_ktime_get_ns(),
		.cpu = bpf_get_smp_processor_id(),
		.len = len,
		.saddr = iph->saddr,
		.daddr = iph->daddr,
		.proto = l4,
		.kind = 2,
	};
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0))
		__sync_fetch_and_add(&output_errors, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
