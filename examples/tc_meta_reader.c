/* tc_meta_reader — the TC half of xdp_meta.c: reads the struct xdp_meta
 * that the XDP program left in front of the packet (skb->data_meta ..
 * skb->data), copies the mark into skb->mark and the L4 protocol into
 * skb->priority, and returns TC_ACT_OK. Without metadata it leaves the skb
 * alone; with mark 0xdead it returns TC_ACT_SHOT.
 * Exercises: __sk_buff->data_meta reads, writes to skb->mark and
 * skb->priority, TC_ACT_OK/TC_ACT_SHOT.
 */
#include "common.h"

SEC("tc")
int tc_meta_reader(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct xdp_meta *meta = (void *)(long)skb->data_meta;

	if ((void *)(meta + 1) > data)
		return TC_ACT_OK;
	if (meta->mark == 0xdead)
		return TC_ACT_SHOT;
	skb->mark = meta->mark;
	skb->priority = meta->l4_proto;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
