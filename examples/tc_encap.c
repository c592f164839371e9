/* tc_encap — IPIP tunnelling in TC by resizing the skb:
 * tc_ipip_encap makes 20 bytes of room after the MAC header with
 * bpf_skb_adjust_room(BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) and
 * writes the outer IPv4 header (checksum computed in the program) with
 * bpf_skb_store_bytes; tc_ipip_decap removes an outer header of 20 bytes
 * from IPIP packets with a negative adjust. Both return TC_ACT_OK, or
 * TC_ACT_SHOT on helper failure.
 * Exercises: bpf_skb_adjust_room (grow and shrink, encap flags),
 * bpf_skb_store_bytes, bpf_skb_load_bytes, building a header on the stack.
 */
#include "common.h"

const volatile __be32 tunnel_src = bpf_htonl(0xc0000201); /* 192.0.2.1 */
const volatile __be32 tunnel_dst = bpf_htonl(0xc6336402); /* 198.51.100.2 */

SEC("tc")
int tc_ipip_encap(struct __sk_buff *skb)
{
	struct iphdr inner, outer = {};

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &inner, sizeof(inner)))
		return TC_ACT_OK;
	if (bpf_ntohs(inner.tot_len) > 0xffff - sizeof(outer))
		return TC_ACT_SHOT;

	outer.version = 4;
	outer.ihl = 5;
	outer.tot_len = bpf_htons(bpf_ntohs(inner.tot_len) + sizeof(outer));
	outer.frag_off = bpf_htons(0x4000); /* DF */
	outer.ttl = 64;
	outer.protocol = IPPROTO_IPIP;
	outer.saddr = tunnel_src;
	outer.daddr = tunnel_dst;
	outer.check = ipv4_csum20(&outer);

	if (bpf_skb_adjust_room(skb, sizeof(outer), BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, ETH_HLEN, &outer, sizeof(outer), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int tc_ipip_decap(struct __sk_buff *skb)
{
	struct iphdr outer;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &outer, sizeof(outer)))
		return TC_ACT_OK;
	if (outer.protocol != IPPROTO_IPIP || outer.ihl != 5)
		return TC_ACT_OK;
	if (bpf_skb_adjust_room(skb, -(int)sizeof(outer), BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
