/* socket_filter — a classic socket filter in eBPF: keeps IPv4 TCP segments
 * to the port in .rodata (returns skb->len, "keep the whole packet") and
 * drops the rest (returns 0). For sockets of family AF_INET and under
 * BPF_PROG_TEST_RUN the skb starts at the network header, so offsets are from
 * there; the IHL is honoured for the port offset.
 * Exercises: SEC("socket") (BPF_PROG_TYPE_SOCKET_FILTER), bpf_skb_load_bytes
 * (no direct packet access for this type), __sk_buff->len and ->protocol.
 */
#include <stddef.h>
#include "common.h"

const volatile __u16 keep_port = 80;

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
	struct iphdr iph;
	__be16 dport;
	__u32 hlen;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes(skb, 0, &iph, sizeof(iph)))
		return 0;
	if (iph.version != 4 || iph.ihl < 5 || iph.protocol != IPPROTO_TCP)
		return 0;
	if (iph.frag_off & bpf_htons(IP_OFFMASK))
		return 0;
	hlen = iph.ihl * 4;
	if (bpf_skb_load_bytes(skb, hlen + offsetof(struct tcphdr, dest), &dport, sizeof(dport)))
		return 0;
	return dport == bpf_htons(keep_port) ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
