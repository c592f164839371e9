/* tc_vlan — two TC classifiers: tc_vlan_pop removes the outer VLAN tag
 * (in-line or already in skb->vlan_tci) and tc_vlan_push adds an 802.1Q tag
 * with the VID from .rodata to untagged frames. The kernel puts a pushed tag
 * into skb->vlan_tci (hardware-accelerated form), so the packet bytes only
 * change when a tag was already present. Both return TC_ACT_OK, or
 * TC_ACT_SHOT when the helper fails.
 * Exercises: SEC("tc") (BPF_PROG_TYPE_SCHED_CLS), bpf_skb_vlan_pop,
 * bpf_skb_vlan_push, __sk_buff fields vlan_present/vlan_tci/protocol,
 * const volatile .rodata.
 */
#include "common.h"

const volatile __u16 push_vid = 100;

SEC("tc")
int tc_vlan_pop(struct __sk_buff *skb)
{
	if (!skb->vlan_present && !proto_is_vlan(skb->protocol))
		return TC_ACT_OK;
	if (bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int tc_vlan_push(struct __sk_buff *skb)
{
	if (skb->vlan_present || proto_is_vlan(skb->protocol))
		return TC_ACT_OK;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), push_vid & VLAN_VID_MASK))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
