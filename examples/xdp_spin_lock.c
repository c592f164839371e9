/* xdp_spin_lock — a per-source token-bucket rate limiter: each IPv4 source
 * has a HASH entry holding a struct bpf_spin_lock, the token count and the
 * last refill time. Refill and take happen under the lock (no helper calls
 * inside, as the verifier requires); a source out of tokens is dropped.
 * Exercises: struct bpf_spin_lock in a map value (needs BTF for the value
 * type), bpf_spin_lock/bpf_spin_unlock, bpf_ktime_get_ns outside the
 * critical section, .rodata rate config.
 */
#include "common.h"

const volatile __u64 tokens_per_sec = 1000;
const volatile __u64 bucket_size = 64;

struct bucket {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __be32);
	__type(value, struct bucket);
} buckets SEC(".maps");

SEC("xdp")
int xdp_spin_lock(struct xdp_md *ctx)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct ethhdr *eth;
	struct iphdr *iph;
	struct bucket *b;
	__u64 now, refill;
	__be32 src;
	int vlans, allowed;

	if (parse_eth(&c, &eth, &vlans) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &iph) < 0)
		return XDP_PASS;
	src = iph->saddr;
	now = bpf_ktime_get_ns();

	b = bpf_map_lookup_elem(&buckets, &src);
	if (!b) {
		struct bucket fresh = { .tokens = bucket_size - 1, .last_ns = now };

		bpf_map_update_elem(&buckets, &src, &fresh, BPF_NOEXIST);
		return XDP_PASS;
	}

	bpf_spin_lock(&b->lock);
	refill = (now - b->last_ns) * tokens_per_sec / 1000000000ull;
	if (refill) {
		b->tokens += refill;
		if (b->tokens > bucket_size)
			b->tokens = bucket_size;
		b->last_ns = now;
	}
	allowed = b->tokens > 0;
	if (allowed)
		b->tokens--;
	bpf_spin_unlock(&b->lock);

	return allowed ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
