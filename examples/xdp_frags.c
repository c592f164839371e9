/* xdp_frags — a multi-buffer-aware program (SEC("xdp.frags"), loaded with
 * BPF_F_XDP_HAS_FRAGS): it may see frames larger than one page, whose tail
 * lives in fragments direct packet access cannot reach. It takes the full
 * length with bpf_xdp_get_buff_len, copies the last 4 bytes out with
 * bpf_xdp_load_bytes, and writes a 4-byte trailer stamp over them with
 * bpf_xdp_store_bytes when .rodata asks for it. Frames shorter than an
 * Ethernet header are dropped; the rest pass.
 * Exercises: the xdp.frags section, bpf_xdp_get_buff_len,
 * bpf_xdp_load_bytes, bpf_xdp_store_bytes.
 */
#include "common.h"

const volatile __u8 stamp_trailer = 1;
const volatile __u32 stamp = 0x7473622a; /* "tsb*" */
__u32 last_trailer;
__u64 last_total_len;

SEC("xdp.frags")
int xdp_frags(struct xdp_md *ctx)
{
	__u64 len = bpf_xdp_get_buff_len(ctx);
	__u32 tail, off;

	if (len < sizeof(struct ethhdr) || len > 0xffff)
		return XDP_DROP;
	off = len - sizeof(tail);
	if (bpf_xdp_load_bytes(ctx, off, &tail, sizeof(tail)))
		return XDP_ABORTED;
	last_trailer = tail;
	last_total_len = len;

	if (stamp_trailer) {
		__u32 s = stamp;

		if (bpf_xdp_store_bytes(ctx, off, &s, sizeof(s)))
			return XDP_ABORTED;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
