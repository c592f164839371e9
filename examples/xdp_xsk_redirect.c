/* xdp_xsk_redirect — hands UDP over IPv4 to the AF_XDP socket bound to the RX queue the frame
 * arrived on (the xskmap slot of that queue); with no socket there, or for anything else, the
 * frame passes to the stack. Counts the frames it redirected in `to_socket`.
 * Exercises: bpf_redirect_map into an XSKMAP with XDP_PASS as the miss action, rx_queue_index.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} to_socket SEC(".maps");

SEC("xdp")
int xdp_xsk_redirect(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 zero = 0;
	__u64 *n;
	long act;
	int vlans;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &iph) < 0)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	act = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT) {
		n = bpf_map_lookup_elem(&to_socket, &zero);
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	return act;
}

char LICENSE[] SEC("license") = "GPL";
