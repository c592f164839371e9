/* xdp_legacy_maps — the pre-BTF way of declaring maps: a struct bpf_map_def
 * placed in SEC("maps"), as iproute2 and libbpf before 1.0 read it. Counts
 * packets per ethertype in a HASH. Always XDP_PASS.
 * Exercises: the legacy "maps" ELF section (fixed-layout map definitions, no
 * BTF for key/value). libbpf >= 1.0 (and so bpftool here) refuses to open
 * such objects; a loader has to understand the section itself.
 */
#include "common.h"

/* Layout of the legacy definition (libbpf <= 0.8 bpf_helpers.h). */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") ethertype_counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u16),
	.value_size = sizeof(__u64),
	.max_entries = 64,
	.map_flags = 0,
};

SEC("xdp")
int xdp_legacy_maps(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 one = 1, *cnt;
	__u16 key;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	key = bpf_ntohs(eth->h_proto);
	cnt = bpf_map_lookup_elem(&ethertype_counts, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&ethertype_counts, &key, &one, BPF_NOEXIST);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
