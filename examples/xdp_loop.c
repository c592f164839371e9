/* xdp_loop — walks the IPv6 extension-header chain (hop-by-hop, routing,
 * destination options; RFC 8200 section 4) with bpf_loop: the callback reads
 * two bytes per header with bpf_xdp_load_bytes and advances the offset kept
 * in a context struct on the caller's stack. Drops packets whose chain is
 * longer than the loop bound or runs past the frame; otherwise records the
 * final upper-layer protocol in .bss and passes.
 * Exercises: bpf_loop with a static callback (BPF_PSEUDO_FUNC), callback
 * return 1 to stop early, bpf_xdp_load_bytes, a context pointer spilled to
 * the stack and used inside the callback.
 */
#include "common.h"

#define MAX_EXT_HDRS 8

struct walk {
	struct xdp_md *ctx;
	__u32 off;	/* offset of the current header's first byte */
	__u8 nexthdr;	/* type of the header at off */
	__u8 done;
	__u8 error;
};

__u8 last_upper_proto;
__u64 ext_headers_seen;

static int is_ext_hdr(__u8 h)
{
	return h == 0 /* hop-by-hop */ || h == 43 /* routing */ || h == 60 /* dest opts */;
}

static long walk_one(__u32 index, void *data)
{
	struct walk *w = data;
	__u8 hdr[2];

	if (!is_ext_hdr(w->nexthdr)) {
		w->done = 1;
		return 1;
	}
	if (bpf_xdp_load_bytes(w->ctx, w->off, hdr, sizeof(hdr))) {
		w->error = 1;
		return 1;
	}
	w->nexthdr = hdr[0];
	w->off += (hdr[1] + 1) * 8;
	__sync_fetch_and_add(&ext_headers_seen, 1);
	return 0;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct ipv6hdr *ip6h;
	int vlans, next;
	struct walk w = {};

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	next = parse_ipv6(&c, &ip6h);
	if (next < 0)
		return XDP_PASS;

	w.ctx = ctx;
	w.off = c.pos - (void *)(long)ctx->data;
	w.nexthdr = next;
	bpf_loop(MAX_EXT_HDRS + 1, walk_one, &w, 0);
	if (w.error || !w.done)
		return XDP_DROP;
	last_upper_proto = w.nexthdr;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
