// layout.c — the C layouts a skeleton's codecs must match: padding, nested structs, arrays of
// structs, a typedef'd anonymous struct, a union, an anonymous member, signed and 64-bit enums,
// bool, char arrays and bitfields (signed, crossing bytes, 40 bits of a u64). The program `fill`
// writes known values into values[0] (zeroed first, so padding is zero) and checks that values[1]
// holds the same values, read field by field as clang lays them out: diff[i] (in .bss) is the XOR
// of field i with its expected value, 0 when it matches. It also copies the .rodata variables
// `magic` into .bss and counts runs in .data. Rebuilt by scripts/fixtures/skeletons.sh.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__u8 tag;
	__u32 val;
};

enum color { RED = 1, GREEN = 2, BLUE = -3 };
enum wide { WIDE_A = 1, WIDE_B = 0x100000000ULL };

typedef struct {
	__u16 a;
	__s16 b;
} pair_t;

struct layout {
	__u8 byte;
	__u64 big;
	__s32 neg;
	enum color color;
	enum wide wide;
	_Bool flag;
	char name[6];
	__u16 shorts[3];
	struct inner inners[2];
	pair_t pair;
	union {
		__u32 word;
		__u8 bytes[4];
	} u;
	struct {
		__u8 x;
		__u8 y;
	};
	__u32 bf_a : 3;
	__s32 bf_b : 5;
	__u32 bf_c : 12;
	__u64 bf_d : 40;
	_Bool bf_e : 1;
	__s64 last;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct layout);
} values SEC(".maps");

const volatile __u32 magic = 0;
const volatile struct inner preset = { .tag = 3, .val = 33 };
__u64 runs = 100;
__u32 seen_magic;
__u32 seen_preset;
__u64 diff[19];

SEC("xdp")
int fill(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	struct layout *out = bpf_map_lookup_elem(&values, &k0);
	struct layout *in = bpf_map_lookup_elem(&values, &k1);
	if (!out || !in)
		return XDP_ABORTED;
	__sync_fetch_and_add(&runs, 1);
	seen_magic = magic;
	seen_preset = preset.tag * 100 + preset.val;

	__builtin_memset(out, 0, sizeof(*out));
	out->byte = 0xab;
	out->big = 0x1122334455667788ULL;
	out->neg = -123456;
	out->color = BLUE;
	out->wide = WIDE_B;
	out->flag = 1;
	__builtin_memcpy(out->name, "tsbpf", 6);
	out->shorts[0] = 1;
	out->shorts[1] = 0xffff;
	out->shorts[2] = 300;
	out->inners[0].tag = 1;
	out->inners[0].val = 0xdeadbeef;
	out->inners[1].tag = 2;
	out->inners[1].val = 42;
	out->pair.a = 7;
	out->pair.b = -7;
	out->u.word = 0x04030201;
	out->x = 9;
	out->y = 10;
	out->bf_a = 5;
	out->bf_b = -9;
	out->bf_c = 0xabc;
	out->bf_d = 0x12345678abULL;
	out->bf_e = 1;
	out->last = -2;

	// XOR, not compare: no branches, so any verifier walks one path.
	diff[0] = in->byte ^ 0xab;
	diff[1] = in->big ^ 0x1122334455667788ULL;
	diff[2] = in->neg ^ -123456;
	diff[3] = in->color ^ BLUE;
	diff[4] = in->wide ^ WIDE_B;
	diff[5] = in->flag ^ 1;
	diff[6] = (in->name[0] ^ 't') | (in->name[4] ^ 'f') | in->name[5];
	diff[7] = (in->shorts[0] ^ 1) | (in->shorts[1] ^ 0xffff) | (in->shorts[2] ^ 300);
	diff[8] = (in->inners[0].tag ^ 1) | (in->inners[0].val ^ 0xdeadbeef);
	diff[9] = (in->inners[1].tag ^ 2) | (in->inners[1].val ^ 42);
	diff[10] = (in->pair.a ^ 7) | (__u16)(in->pair.b ^ -7);
	diff[11] = in->u.word ^ 0x04030201;
	diff[12] = (in->x ^ 9) | (in->y ^ 10);
	diff[13] = in->bf_a ^ 5;
	diff[14] = (__u32)(in->bf_b ^ -9);
	diff[15] = in->bf_c ^ 0xabc;
	diff[16] = in->bf_d ^ 0x12345678abULL;
	diff[17] = in->bf_e ^ 1;
	diff[18] = in->last ^ -2;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
