// Out-of-bounds programs in C for the suite of test/oob/ (cases in c.oob): every program here is
// one the kernel's verifier refuses for an out-of-bounds access, and one the VM must stop with a
// MemoryFault when run unverified. The faulting line is marked FAULT (the VM test finds it by line
// info). `volatile` and inline asm keep clang from folding the accesses away. Not a sample of
// good BPF: every function here is wrong on purpose.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

volatile __u64 counter;              /* .bss: 8 bytes */
volatile __u64 budget = 7;           /* .data: 8 bytes */
const volatile __u32 limit = 5;      /* .rodata: 4 bytes */

SEC("xdp")
int pkt_past_end(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 14 > data_end)
		return XDP_PASS;
	return *(volatile __u8 *)(data + 14); /* FAULT */
}

SEC("xdp")
int pkt_data_5000(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;

	return *(volatile __u8 *)(data + 5000); /* FAULT */
}

SEC("xdp")
int pkt_end_100(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;

	return *(volatile __u8 *)(data_end + 100); /* FAULT */
}

SEC("xdp")
int pkt_before_data(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 14 > data_end)
		return XDP_PASS;
	return *(volatile __u8 *)(data - 1); /* FAULT */
}

SEC("xdp")
int pkt_before_meta(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	if (meta + 4 > data)
		return XDP_PASS;
	return *(volatile __u8 *)(meta - 1); /* FAULT */
}

SEC("xdp")
int ctx_beyond(struct xdp_md *ctx)
{
	return ((volatile __u32 *)ctx)[16]; /* FAULT */
}

SEC("xdp")
int array_next_value(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&arr, &key);

	if (!v)
		return XDP_PASS;
	return ((volatile __u64 *)v)[1]; /* FAULT */
}

SEC("xdp")
int hash_value_overrun(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hash, &key);

	if (!v)
		return XDP_PASS;
	((volatile __u64 *)v)[1] = 1; /* FAULT */
	return XDP_PASS;
}

SEC("xdp")
int percpu_value_overrun(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &key);

	if (!v)
		return XDP_PASS;
	return ((volatile __u32 *)v)[2]; /* FAULT */
}

SEC("xdp")
int null_lookup(struct xdp_md *ctx)
{
	__u32 key = 3;
	__u64 *v = bpf_map_lookup_elem(&hash, &key);

	return *(volatile __u64 *)v; /* FAULT */
}

SEC("xdp")
int bss_overrun(struct xdp_md *ctx)
{
	return ((volatile __u64 *)&counter)[1]; /* FAULT */
}

SEC("xdp")
int data_overrun(struct xdp_md *ctx)
{
	((volatile __u64 *)&budget)[1] = 0; /* FAULT */
	return XDP_PASS;
}

SEC("xdp")
int rodata_overrun(struct xdp_md *ctx)
{
	return ((const volatile __u32 *)&limit)[1]; /* FAULT */
}

SEC("xdp")
int rodata_write(struct xdp_md *ctx)
{
	*(volatile __u32 *)&limit = 1; /* FAULT */
	return XDP_PASS;
}

SEC("xdp")
int stack_below(struct xdp_md *ctx)
{
	__u64 v = 0;

	asm volatile("*(u64 *)(r10 - 520) = %0" : : "r"(v)); /* FAULT */
	return XDP_PASS;
}

SEC("xdp")
int stack_top(struct xdp_md *ctx)
{
	__u64 v;

	asm volatile("%0 = *(u64 *)(r10 + 0)" : "=r"(v)); /* FAULT */
	return v;
}

static __attribute__((noinline)) int peek_caller(void)
{
	__u64 v;

	asm volatile("%0 = *(u64 *)(r10 + 8)" : "=r"(v)); /* FAULT */
	return v;
}

SEC("xdp")
int callee_reaches_caller(struct xdp_md *ctx)
{
	volatile __u64 mine = 42;

	return peek_caller() + mine;
}

SEC("xdp")
int ringbuf_after_submit(struct xdp_md *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return XDP_PASS;
	bpf_ringbuf_submit(e, 0);
	*(volatile __u64 *)e = 1; /* FAULT */
	return XDP_PASS;
}

SEC("xdp")
int ringbuf_after_discard(struct xdp_md *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return XDP_PASS;
	bpf_ringbuf_discard(e, 0);
	return *(volatile __u64 *)e; /* FAULT */
}

SEC("xdp")
int ringbuf_past_record(struct xdp_md *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return XDP_PASS;
	((volatile __u64 *)e)[1] = 1; /* FAULT */
	bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

static long callback(__u32 index, void *ctx)
{
	return 0;
}

SEC("xdp")
int func_as_data(struct xdp_md *ctx)
{
	void *volatile p = (void *)callback;

	bpf_loop(1, callback, 0, 0);
	return *(volatile __u8 *)p; /* FAULT */
}
