// The network helpers of issue 10 against kernel 6.18's BPF_PROG_TEST_RUN: bpf_redirect_neigh,
// bpf_redirect_peer, bpf_check_mtu (XDP and TC), bpf_skb_ecn_set_ce, bpf_skb_set/get_tunnel_key
// and _opt (every flag and legacy size), bpf_trace_vprintk. Each case runs one assembled program
// on both backends and compares retval, data_out and ctx_out (or the errno).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asm, ipv4Frame, ipv6Frame, oneProgram, runBoth } from '../../../test/gen/helper-parity.js';
import type { Instruction } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { TestRunInput } from '../backend.js';
import { BPF_F_NEIGH, BPF_F_NEXTHOP, BPF_F_PEER } from './redirect.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

function same(type: ProgTypeName, insns: Instruction[], inputs: readonly TestRunInput[], what: string): void {
  for (const [k, r] of runBoth(type, insns, inputs).entries())
    assert.deepEqual(r.vm, r.kernel, `${what} (input ${k})`);
}

const frame = () => ({ data: ipv4Frame(64) });

test('bpf_redirect_peer and bpf_redirect_neigh: verdicts for flags and next-hop sizes', { skip }, () => {
  for (const flags of [0, 1, 4]) {
    same(
      'SCHED_CLS',
      asm(['r1 = 5', `r2 = ${flags}`, 'call 155', 'exit']),
      [frame()],
      `redirect_peer flags ${flags}`,
    );
  }
  same(
    'SCHED_CLS',
    asm(['r1 = 5', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'call 152', 'exit']),
    [frame()],
    'neigh, no params',
  );
  for (const [plen, flags] of [
    [20, 0],
    [24, 0],
    [16, 0],
    [4, 0],
    [20, 1],
  ] as const) {
    const insns = asm([
      '*(u64 *)(r10 - 8) = 0',
      '*(u64 *)(r10 - 16) = 0',
      '*(u64 *)(r10 - 24) = 0',
      '*(u32 *)(r10 - 24) = 2',
      'r1 = 5',
      'r2 = r10',
      'r2 += -24',
      `r3 = ${plen}`,
      `r4 = ${flags}`,
      'call 152',
      'exit',
    ]);
    same('SCHED_CLS', insns, [frame()], `redirect_neigh plen ${plen} flags ${flags}`);
  }
});

test('bpf_redirect_neigh/_peer record the kernel internal flags and the next hop in the VM', () => {
  const neigh = asm([
    '*(u64 *)(r10 - 8) = 0',
    '*(u64 *)(r10 - 16) = 0',
    '*(u64 *)(r10 - 24) = 0',
    '*(u32 *)(r10 - 24) = 2',
    '*(u32 *)(r10 - 20) = 0x0100000a',
    'r1 = 7',
    'r2 = r10',
    'r2 += -24',
    'r3 = 20',
    'r4 = 0',
    'call 152',
    'exit',
  ]);
  using c = load(oneProgram('SCHED_CLS', neigh));
  assert.equal(c.program('p').run(frame()).retval, 7);
  assert.equal(c.redirect.ifindex, 7);
  assert.equal(c.redirect.flags, BPF_F_NEIGH | BPF_F_NEXTHOP);
  assert.deepEqual([...(c.redirect.nexthop ?? [])].slice(0, 8), [2, 0, 0, 0, 10, 0, 0, 1]);
  using p = load(oneProgram('SCHED_CLS', asm(['r1 = 3', 'r2 = 0', 'call 155', 'exit'])));
  p.program('p').run(frame());
  assert.deepEqual([p.redirect.ifindex, p.redirect.flags, p.redirect.nexthop], [3, BPF_F_PEER, undefined]);
});

/** check_mtu(ctx, ifindex, &mtu_len = given, diff, flags); retval = (r0 & 0xff) | mtu_len << 8. */
function checkMtu(ifindex: number, given: number, diff: number, flags: number): Instruction[] {
  return asm([
    `*(u32 *)(r10 - 4) = ${given}`,
    `r2 = ${ifindex}`,
    'r3 = r10',
    'r3 += -4',
    `r4 = ${diff}`,
    `r5 = ${flags}`,
    'call 163',
    'r0 &= 0xff',
    'r1 = *(u32 *)(r10 - 4)',
    'r1 <<= 8',
    'r0 |= r1',
    'exit',
  ]);
}

test('bpf_check_mtu: lo and missing devices, lengths, len_diff, *mtu_len input, flags (XDP and TC)', {
  skip,
}, () => {
  const inputs = [{ data: ipv4Frame(64) }, { data: ipv4Frame(1514) }, { data: ipv4Frame(4000) }];
  for (const type of ['XDP', 'SCHED_CLS'] as const) {
    for (const [ifindex, given, diff, flags] of [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [999, 0, 0, 0],
      [0, 0, 65536 - 60, 0],
      [0, 0, 65536 - 40, 0],
      [0, 0, -100, 0],
      [0, 65536, 0, 0],
      [0, 65537, 0, 0],
      [0, 1500, -1, 0],
      [0, 0, 0, 1],
      [0, 0, 5, 1],
      [0, 9, 0, 1],
      [0, 0, 0, 2],
      [0, 0, 0x7fffffff, 0],
    ] as const) {
      same(
        type,
        checkMtu(ifindex, given, diff, flags),
        inputs,
        `${type} check_mtu(${ifindex}, ${given}, ${diff}, ${flags})`,
      );
    }
  }
});

test('bpf_skb_ecn_set_ce: IPv4 (checksum fixed) and IPv6 for every ECN codepoint; non-IP frames', {
  skip,
}, () => {
  const insns = asm(['call 97', 'exit']);
  const inputs: TestRunInput[] = [];
  for (const ecn of [0, 1, 2, 3]) {
    inputs.push(
      { data: ipv4Frame(64, 0xb8 | ecn) },
      { data: ipv4Frame(64, ecn) },
      { data: ipv6Frame(80, 0xa0 | ecn) },
    );
  }
  const arp = ipv4Frame(64, 2);
  arp[13] = 0x06;
  inputs.push({ data: arp }, { data: ipv4Frame(64, 2).slice(0, 30) });
  // A header whose checksum addition carries around (0xffff region).
  const carry = ipv4Frame(64, 2);
  carry[24] = 0xff;
  carry[25] = 0xfe;
  inputs.push({ data: carry });
  same('SCHED_CLS', insns, inputs, 'skb_ecn_set_ce');
});

/**
 * set_tunnel_key(key, setSize, setFlags) with a filled key, optionally set_tunnel_opt(8 bytes),
 * then get_tunnel_key(buf, getSize, getFlags) and get_tunnel_opt(16 bytes): the results and both
 * buffers are stored into the packet (skb_store_bytes).
 */
function tunnel(
  setSize: number,
  setFlags: number,
  getSize: number,
  getFlags: number,
  opt: number,
): Instruction[] {
  const lines = [
    'r6 = r1',
    // key at r10-48 (44 bytes used): id, remote[16], tos, ttl, ext 0, label, local[16]
    '*(u32 *)(r10 - 48) = 0x11223344',
    '*(u32 *)(r10 - 44) = 0x0a000001',
    '*(u32 *)(r10 - 40) = 0x20010db8',
    '*(u32 *)(r10 - 36) = 0x55667788',
    '*(u32 *)(r10 - 32) = 0x99aabbcc',
    '*(u16 *)(r10 - 28) = 0x4012',
    '*(u16 *)(r10 - 26) = 0',
    `*(u32 *)(r10 - 24) = ${setFlags & 1 ? '0xfffff123' : '0'}`,
    '*(u32 *)(r10 - 20) = 0xc0a80001',
    '*(u32 *)(r10 - 16) = 0xfe800000',
    '*(u32 *)(r10 - 12) = 0x01020304',
    '*(u32 *)(r10 - 8) = 0x05060708',
  ];
  if (setSize >= 0) {
    lines.push(
      'r1 = r6',
      'r2 = r10',
      'r2 += -48',
      `r3 = ${setSize}`,
      `r4 = ${setFlags}`,
      'call 21',
      'r7 = r0',
    );
  } else lines.push('r7 = 0');
  lines.push('r8 = 0');
  if (opt > 0) {
    lines.push(
      '*(u64 *)(r10 - 64) = 0',
      '*(u32 *)(r10 - 64) = 0x01020304',
      '*(u32 *)(r10 - 60) = 0x0a0b0c0d',
    );
    lines.push('r1 = r6', 'r2 = r10', 'r2 += -64', `r3 = ${opt}`, 'call 30', 'r8 = r0');
  }
  // get into r10-112 (44 bytes, pre-filled with 0xaa), opt into r10-128 (16 bytes)
  for (let o = 128; o > 64; o -= 8) lines.push(`r1 = 0xaaaaaaaaaaaaaaaa ll`, `*(u64 *)(r10 - ${o}) = r1`);
  lines.push(
    'r1 = r6',
    'r2 = r10',
    'r2 += -112',
    `r3 = ${getSize}`,
    `r4 = ${getFlags}`,
    'call 20',
    'r9 = r0',
  );
  lines.push('r1 = r6', 'r2 = r10', 'r2 += -128', 'r3 = 16', 'call 29');
  lines.push('*(u32 *)(r10 - 68) = r0', '*(u32 *)(r10 - 64) = r9');
  lines.push('*(u32 *)(r10 - 60) = r7', '*(u32 *)(r10 - 56) = r8');
  lines.push('r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -128', 'r4 = 76', 'r5 = 0', 'call 9', 'r0 = 0', 'exit');
  return asm(lines);
}

test('bpf_skb_set/get_tunnel_key and _opt: flags, legacy sizes, address families, options', { skip }, () => {
  const inputs = [{ data: ipv4Frame(128) }];
  const cases: [number, number, number, number, number][] = [
    [-1, 0, 44, 0, 0], // no metadata: get fails
    [44, 0, 44, 0, 0],
    [44, 0, 44, 16, 0], // BPF_F_TUNINFO_FLAGS
    [44, 2 | 4 | 8, 44, 16, 0],
    [44, 16, 44, 16, 0], // BPF_F_NO_TUNNEL_KEY
    [44, 1, 44, 1, 0], // IPv6
    [44, 1, 44, 17, 0],
    [44, 1, 44, 0, 0], // family mismatch: -EPROTO
    [44, 0, 44, 1, 0],
    [28, 0, 28, 0, 0],
    [24, 0, 24, 0, 0],
    [22, 0, 22, 0, 0],
    [8, 0, 8, 0, 0],
    [8, 1, 8, 1, 0], // remote_ipv6[1] layout is IPv4-only on get
    [40, 0, 44, 0, 0], // bad set size
    [44, 0, 40, 0, 0], // bad get size
    [44, 64, 44, 0, 0], // unknown set flag
    [44, 0, 44, 2, 0], // unknown get flag
    [44, 0, 44, 16, 8], // options: flags show GENEVE|VXLAN|ERSPAN|GTP
    [44, 0, 44, 0, 4],
    [44, 0, 44, 0, 6], // size not a multiple of 4
    [-1, 0, 44, 0, 8], // options without metadata
  ];
  for (const [ss, sf, gs, gf, opt] of cases) {
    same(
      'SCHED_CLS',
      tunnel(ss, sf, gs, gf, opt),
      inputs,
      `tunnel set(${ss}, ${sf}) opt ${opt} get(${gs}, ${gf})`,
    );
  }
});

test('bpf_trace_vprintk: return values for argument counts, data_len and formats', { skip }, () => {
  const fmt = (s: string) => {
    const bytes = [...Buffer.from(`${s}\0`)];
    while (bytes.length % 8) bytes.push(0);
    const lines: string[] = [];
    for (let k = 0; k < bytes.length; k += 8) {
      const v = bytes.slice(k, k + 8).reduceRight((a, b) => (a << 8n) | BigInt(b), 0n);
      lines.push(`r1 = ${v} ll`, `*(u64 *)(r10 - ${128 - k}) = r1`);
    }
    return { lines, size: s.length + 1 };
  };
  for (const [text, n, len] of [
    ['hello', 0, 0],
    ['%d %d %d %d %d', 5, 40],
    ['%llx %u', 2, 16],
    ['%d %d', 1, 8], // more conversions than arguments
    ['%d', 3, 24], // fewer: fine
    ['%d', 1, 7], // data_len not a multiple of 8
    ['%d', 12, 96],
    ['%d', 13, 104],
    ['%q', 1, 8],
  ] as const) {
    const f = fmt(text);
    const args = Array.from({ length: 13 }, (_, k) => `*(u64 *)(r10 - ${232 - 8 * k}) = ${k * 1000 - 3}`);
    const insns = asm([
      ...f.lines,
      ...args,
      'r1 = r10',
      'r1 += -128',
      `r2 = ${f.size}`,
      'r3 = r10',
      'r3 += -232',
      `r4 = ${len}`,
      ...(n === 0 ? ['r3 = 0'] : []),
      'call 177',
      'exit',
    ]);
    same('XDP', insns, [frame()], `trace_vprintk("${text}", ${len})`);
  }
});

test('bpf_set_hash then bpf_get_hash_recalc returns the hash set; skb->hash reads it back', { skip }, () => {
  for (const hash of [0, 1, 0xabcd1234, 0xffffffff]) {
    const insns = asm([
      'r6 = r1',
      `r2 = ${hash} ll`,
      'call 48',
      'r1 = r6',
      'call 34',
      'r1 = *(u32 *)(r6 + 68)', // __sk_buff.hash
      'if r1 == r0 goto +1',
      'r0 = 77',
      'exit',
    ]);
    for (const r of runBoth('SCHED_CLS', insns, [frame()])) {
      assert.deepEqual(r.vm, r.kernel, `set_hash(${hash})`);
      assert.equal((r.vm as { retval: number }).retval, hash, 'the hash set, read back both ways');
    }
  }
  // A recalculated hash cannot match (the kernel keys it with a random boot seed), but on each
  // backend it is stable for one flow and never 0.
  const recalc = asm(['call 34', 'exit']);
  for (const r of runBoth('SCHED_CLS', recalc, [frame(), frame()])) {
    assert.notEqual((r.vm as { retval: number }).retval, 0);
    assert.notEqual((r.kernel as { retval: number }).retval, 0);
  }
});
