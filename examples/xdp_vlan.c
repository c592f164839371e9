/* xdp_vlan — VLAN tag handling in XDP by moving the packet start:
 * xdp_vlan_strip drops the outer 802.1Q/802.1ad tag (copy the MAC addresses,
 * bpf_xdp_adjust_head(+4), write them back with the inner ethertype);
 * xdp_vlan_insert adds an 802.1Q tag with the VID from .rodata
 * (bpf_xdp_adjust_head(-4), rebuild the Ethernet header in front).
 * Both pass the frame on; a failed adjust aborts.
 * Exercises: bpf_xdp_adjust_head both ways, re-validating data/data_end after
 * a helper that invalidates packet pointers, __builtin_memcpy on packet
 * memory, .rodata config.
 */
#include "common.h"

const volatile __u16 insert_vid = 42;

SEC("xdp")
int xdp_vlan_strip(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, copy;
	struct vlan_hdr *vh = (void *)(eth + 1);

	if ((void *)(vh + 1) > end)
		return XDP_PASS;
	if (!proto_is_vlan(eth->h_proto))
		return XDP_PASS;

	__builtin_memcpy(&copy, eth, sizeof(copy));
	copy.h_proto = vh->h_vlan_encapsulated_proto;

	if (bpf_xdp_adjust_head(ctx, (int)sizeof(*vh)))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, &copy, sizeof(copy));
	return XDP_PASS;
}

SEC("xdp")
int xdp_vlan_insert(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, copy;
	struct vlan_hdr *vh;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__builtin_memcpy(&copy, eth, sizeof(copy));

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*vh)))
		return XDP_ABORTED;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > end)
		return XDP_ABORTED;

	__builtin_memcpy(eth->h_dest, copy.h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_source, copy.h_source, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_8021Q);
	vh->h_vlan_TCI = bpf_htons(insert_vid & VLAN_VID_MASK);
	vh->h_vlan_encapsulated_proto = copy.h_proto;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
