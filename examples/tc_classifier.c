/* tc_classifier — TC verdicts: tc_classify (SEC("tc")) shoots TCP to port
 * 23, redirects UDP to port 4789 to the ifindex in .rodata with bpf_redirect
 * (TC_ACT_REDIRECT), marks ICMP and returns TC_ACT_PIPE, and lets the rest go
 * with TC_ACT_OK. tcx_ingress (SEC("tcx/ingress"), the tcx link attach point
 * of kernel 6.6+) drops IPv4 packets whose TTL is 1 and otherwise returns
 * TC_ACT_UNSPEC (tcx: "next program"), from skb->protocol without touching
 * packet data.
 * Exercises: SEC("tc") and SEC("tcx/ingress") (BPF_PROG_TYPE_SCHED_CLS,
 * expected attach type BPF_TCX_INGRESS), direct packet access in TC,
 * bpf_redirect, bpf_skb_load_bytes, TC_ACT_* codes.
 */
#include "common.h"

const volatile __u32 vxlan_ifindex = 1;

SEC("tc")
int tc_classify(struct __sk_buff *skb)
{
	struct cursor c = { (void *)(long)skb->data, (void *)(long)skb->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct tcphdr *th;
	struct udphdr *uh;
	int vlans, l4;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	l4 = parse_ipv4(&c, &iph);
	if (l4 < 0)
		return TC_ACT_SHOT;
	if (ipv4_is_later_fragment(iph))
		return TC_ACT_OK;
	if (l4 == IPPROTO_TCP && parse_tcp(&c, &th) == 0 && th->dest == bpf_htons(23))
		return TC_ACT_SHOT;
	if (l4 == IPPROTO_UDP && parse_udp(&c, &uh) == 0 && uh->dest == bpf_htons(4789))
		return bpf_redirect(vxlan_ifindex, 0);
	if (l4 == IPPROTO_ICMP) {
		skb->mark = 1;
		return TC_ACT_PIPE;
	}
	return TC_ACT_OK;
}

SEC("tcx/ingress")
int tcx_ingress(struct __sk_buff *skb)
{
	__u8 ttl;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	if (bpf_skb_load_bytes(skb, ETH_HLEN + 8, &ttl, 1))
		return TC_ACT_UNSPEC;
	return ttl == 1 ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
