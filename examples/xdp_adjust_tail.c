/* xdp_adjust_tail — a snap-length cutter: frames longer than the limit in
 * .rodata are shortened to it with bpf_xdp_adjust_tail(negative delta) and
 * passed; a .bss counter records how many bytes were cut. Shorter frames pass
 * unchanged.
 * Exercises: bpf_xdp_adjust_tail (shrink), xdp_md data/data_end arithmetic
 * before and after the helper.
 */
#include "common.h"

const volatile __u32 snap_len = 128;
__u64 bytes_cut;

SEC("xdp")
int xdp_adjust_tail(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	int delta;

	if (len <= snap_len)
		return XDP_PASS;
	delta = (int)snap_len - (int)len;
	if (bpf_xdp_adjust_tail(ctx, delta))
		return XDP_ABORTED;
	__sync_fetch_and_add(&bytes_cut, -delta);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
