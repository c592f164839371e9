/* tc_nat64 — stateless IPv4 → IPv6 header translation in TC (the RFC 7915
 * direction used by a NAT46/CLAT), for TCP and UDP only: the IPv4 addresses
 * are embedded in the well-known prefix 64:ff9b::/96 (RFC 6052), the skb is
 * switched to ETH_P_IPV6 with bpf_skb_change_proto (which makes the extra
 * 20 bytes of room), the IPv6 header and ethertype are written with
 * bpf_skb_store_bytes, and the L4 checksum is corrected for the new
 * pseudo-header with bpf_csum_diff + bpf_l4_csum_replace. IPv4 with options,
 * fragments, ICMP and UDP without checksum are left alone. TC_ACT_OK, or
 * TC_ACT_SHOT on helper failure.
 * Exercises: bpf_skb_change_proto, bpf_csum_diff over stack buffers,
 * bpf_l4_csum_replace with a precomputed diff (size 0, BPF_F_PSEUDO_HDR).
 */
#include <stddef.h>
#include "common.h"

SEC("tc")
int tc_nat64(struct __sk_buff *skb)
{
	struct iphdr iph;
	struct ipv6hdr ip6h = {};
	__be32 old_addrs[2];
	__u32 csum_off, diff;
	__be16 proto = bpf_htons(ETH_P_IPV6);
	__u16 check;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &iph, sizeof(iph)))
		return TC_ACT_OK;
	if (iph.ihl != 5 || (iph.frag_off & bpf_htons(IP_MF | IP_OFFMASK)))
		return TC_ACT_OK;
	if (iph.protocol == IPPROTO_TCP)
		csum_off = ETH_HLEN + sizeof(iph) + offsetof(struct tcphdr, check);
	else if (iph.protocol == IPPROTO_UDP)
		csum_off = ETH_HLEN + sizeof(iph) + offsetof(struct udphdr, check);
	else
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, csum_off, &check, sizeof(check)))
		return TC_ACT_OK;
	if (iph.protocol == IPPROTO_UDP && check == 0)
		return TC_ACT_OK;

	ip6h.version = 6;
	ip6h.priority = iph.tos >> 4;
	ip6h.flow_lbl[0] = (iph.tos & 0xf) << 4;
	ip6h.payload_len = bpf_htons(bpf_ntohs(iph.tot_len) - sizeof(iph));
	ip6h.nexthdr = iph.protocol;
	ip6h.hop_limit = iph.ttl;
	ip6h.saddr.in6_u.u6_addr32[0] = bpf_htonl(0x0064ff9b);
	ip6h.saddr.in6_u.u6_addr32[3] = iph.saddr;
	ip6h.daddr.in6_u.u6_addr32[0] = bpf_htonl(0x0064ff9b);
	ip6h.daddr.in6_u.u6_addr32[3] = iph.daddr;

	/* Pseudo-header: the length and protocol words sum the same in both
	 * families, so only the addresses differ. */
	old_addrs[0] = iph.saddr;
	old_addrs[1] = iph.daddr;
	diff = bpf_csum_diff(old_addrs, sizeof(old_addrs), (__be32 *)&ip6h.saddr, 32, 0);

	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &ip6h, sizeof(ip6h), 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto), 0))
		return TC_ACT_SHOT;
	csum_off += sizeof(ip6h) - sizeof(iph);
	if (bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
