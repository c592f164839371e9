/* tc_nat — a one-entry destination NAT in TC: IPv4 TCP/UDP packets to the
 * virtual address and port in .rodata are rewritten to the backend address
 * and port. The IPv4 header checksum is fixed with bpf_l3_csum_replace and
 * the TCP/UDP checksum with bpf_l4_csum_replace (BPF_F_PSEUDO_HDR for the
 * address, which is part of the pseudo-header; BPF_F_MARK_MANGLED_0 keeps a
 * zero UDP checksum meaning "none"). Returns TC_ACT_OK, or TC_ACT_SHOT when a
 * helper fails.
 * Exercises: bpf_skb_store_bytes, bpf_l3_csum_replace, bpf_l4_csum_replace,
 * helper calls with variable packet offsets (IPv4 options), invalidated
 * packet pointers after a store.
 */
#include <stddef.h>
#include "common.h"

const volatile __be32 vip_addr = bpf_htonl(0xc0000264);     /* 192.0.2.100 */
const volatile __be16 vip_port = bpf_htons(80);
const volatile __be32 backend_addr = bpf_htonl(0x0a000005); /* 10.0.0.5 */
const volatile __be16 backend_port = bpf_htons(8080);

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_DST_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 l4_off, csum_off, port_off, csum_flags = 0;
	__be32 old_addr;
	__be16 old_port, *dport;

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (iph->ihl < 5 || iph->daddr != vip_addr || (iph->frag_off & bpf_htons(IP_OFFMASK)))
		return TC_ACT_OK;

	l4_off = ETH_HLEN + iph->ihl * 4;
	if (iph->protocol == IPPROTO_TCP) {
		csum_off = l4_off + offsetof(struct tcphdr, check);
		port_off = l4_off + offsetof(struct tcphdr, dest);
	} else if (iph->protocol == IPPROTO_UDP) {
		csum_off = l4_off + offsetof(struct udphdr, check);
		port_off = l4_off + offsetof(struct udphdr, dest);
		csum_flags = BPF_F_MARK_MANGLED_0;
	} else {
		return TC_ACT_OK;
	}
	dport = data + port_off;
	if ((void *)(dport + 1) > end || *dport != vip_port)
		return TC_ACT_OK;
	old_addr = iph->daddr;
	old_port = *dport;

	/* Checksums first (they read the old bytes' positions only). */
	__be32 new_addr = backend_addr;
	__be16 new_port = backend_port;

	if (bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr,
				csum_flags | BPF_F_PSEUDO_HDR | sizeof(new_addr)))
		return TC_ACT_SHOT;
	if (bpf_l4_csum_replace(skb, csum_off, old_port, new_port, csum_flags | sizeof(new_port)))
		return TC_ACT_SHOT;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_addr, new_addr, sizeof(new_addr)))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, IP_DST_OFF, &new_addr, sizeof(new_addr), 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
