// The new helpers against kernel 6.18's BPF_PROG_TEST_RUN: each case loads one assembled program
// into the kernel (src/kernel/) and into the VM, runs both on the same inputs and compares
// retval, data_out and ctx_out, or the errno. Covers csum_diff sizes and seeds, l3/l4 checksum
// replacement on crafted frames, adjust_room modes, flags and errors, change_proto, VLAN
// push/pop (read back through __sk_buff), change_tail/head and pull_data. Callbacks and ring
// buffers need BTF and maps: fixtures-kernel.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { BpfError } from '../../errors.js';
import type { Instruction } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadProgram } from '../../kernel/program.js';
import type { CollectionSpec, ProgramSpec } from '../../program/index.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { TestRunInput } from '../backend.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

type Outcome = { retval: number; data: string; ctx?: string } | { errno: number };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function outcome(f: () => { retval: number; data: Uint8Array; ctx?: Uint8Array | undefined }): Outcome {
  try {
    const r = f();
    const o: Outcome = { retval: r.retval, data: hex(r.data) };
    return r.ctx === undefined ? o : { ...o, ctx: hex(r.ctx) };
  } catch (e) {
    if (e instanceof BpfError) return { errno: e.errno };
    throw e;
  }
}

/** Runs `insns` as `type` on the kernel and on the VM with each input; asserts equal outcomes. */
function same(type: ProgTypeName, insns: Instruction[], inputs: readonly TestRunInput[], what: string): void {
  const kernel = loadProgram({ type, insns });
  const program: ProgramSpec = {
    name: 'p',
    sectionName: 'test',
    type,
    flags: 0,
    instructions: insns,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  const spec: CollectionSpec = { programs: [program], maps: [], variables: [], license: 'GPL' };
  using vm = load(spec);
  try {
    for (const input of inputs) {
      const k = outcome(() => kernel.testRun(input));
      const v = outcome(() => vm.program('p').run(input));
      assert.deepEqual(v, k, `${what} on ${input.data?.length}-byte frame`);
    }
  } finally {
    kernel.close();
  }
}

const asm = (lines: string[]) => assemble(lines.join('\n'));

/** Ethernet + IPv4 (valid header checksum) + UDP or TCP, total `n` bytes. */
function ipv4Frame(n: number, proto = 17, udpCheck = 0x1234): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + 5) & 0xff;
  b.set([0, 0, 0, 0, 0, 0], 0);
  b[12] = 0x08;
  b[13] = 0x00;
  const ip = [
    0x45,
    0,
    (n - 14) >> 8,
    (n - 14) & 0xff,
    0,
    1,
    0x40,
    0,
    64,
    proto,
    0,
    0,
    10,
    0,
    0,
    1,
    192,
    0,
    2,
    100,
  ];
  b.set(ip, 14);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  b[24] = (~sum >> 8) & 0xff;
  b[25] = ~sum & 0xff;
  b[40] = udpCheck >> 8;
  b[41] = udpCheck & 0xff;
  return b;
}

function ipv6Frame(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b[12] = 0x86;
  b[13] = 0xdd;
  b.set([0x60, 0, 0, 0, (n - 54) >> 8, (n - 54) & 0xff, 17, 64], 14);
  return b;
}

function vlanFrame(n: number, tpid: number, inner: number): Uint8Array {
  const b = ipv4Frame(n);
  b.copyWithin(18, 14, n - 4);
  b[12] = tpid >> 8;
  b[13] = tpid & 0xff;
  b.set([0x20, 0x64, inner >> 8, inner & 0xff], 14);
  return b;
}

const arp = () => {
  const b = ipv4Frame(60);
  b[12] = 0x08;
  b[13] = 0x06;
  return b;
};

test('bpf_csum_diff: sizes (any, in 6.18), seeds and contents as the kernel folds them', { skip }, () => {
  const patterns: [string, bigint][] = [
    ['zeros', 0n],
    ['ones', 0xffffffffffffffffn],
    ['mixed', 0x0123456789abcdefn],
  ];
  for (const [name, word] of patterns) {
    for (const seed of [0, 1, 0xffff, 0xffffffff]) {
      const insns: Instruction[] = [];
      for (const [fs, ts] of [
        [0, 0],
        [4, 0],
        [0, 4],
        [4, 4],
        [8, 32],
        [32, 8],
        [3, 4],
        [4, 6],
        [2, 0],
        [32, 32],
      ] as const) {
        const body = asm([
          `r1 = ${word} ll`,
          '*(u64 *)(r10 - 8) = r1',
          '*(u64 *)(r10 - 16) = r1',
          '*(u64 *)(r10 - 24) = r1',
          'r2 = 0x1122334455667788 ll',
          '*(u64 *)(r10 - 32) = r2',
          '*(u64 *)(r10 - 40) = r1',
          '*(u64 *)(r10 - 48) = r2',
          '*(u64 *)(r10 - 56) = r1',
          '*(u64 *)(r10 - 64) = r1',
          'r1 = r10',
          'r1 += -64',
          `r2 = ${fs}`,
          'r3 = r10',
          'r3 += -32',
          `r4 = ${ts}`,
          `r5 = ${seed} ll`,
          'call 28',
          'exit',
        ]);
        insns.length = 0;
        insns.push(...body);
        same('XDP', insns, [{ data: ipv4Frame(60) }], `csum_diff(${name}, ${fs}, ${ts}, seed ${seed})`);
      }
    }
  }
  // More than 512 bytes in all (the old scratchpad limit), from packet memory.
  for (const [fs, ts] of [
    [300, 300],
    [1000, 0],
    [0, 1000],
    [512, 4],
  ] as const) {
    const insns = asm([
      'r2 = *(u32 *)(r1 + 4)',
      'r1 = *(u32 *)(r1 + 0)',
      'r3 = r1',
      'r3 += 1100',
      'r0 = 0',
      'if r3 > r2 goto +5',
      'r3 = r1',
      `r3 += ${fs}`,
      `r2 = ${fs}`,
      `r4 = ${ts}`,
      'goto +1',
      'exit',
      'r5 = 7',
      'call 28',
      'exit',
    ]);
    same(
      'XDP',
      insns,
      [{ data: ipv4Frame(1200) }, { data: ipv4Frame(1514) }],
      `csum_diff(pkt, ${fs}, ${ts})`,
    );
  }
});

test('bpf_l3_csum_replace / bpf_l4_csum_replace on crafted frames: sizes, flags, offsets', { skip }, () => {
  const frames = [ipv4Frame(60), ipv4Frame(60, 17, 0), ipv4Frame(60, 17, 0xffff), ipv4Frame(74, 6, 0xabcd)];
  const cases: [number, number, bigint, bigint, bigint][] = [];
  for (const id of [10, 11]) {
    for (const [from, to, flags] of [
      [0n, 0x12345678n, 0n],
      [0n, 0xffffffffn, 0n],
      [5n, 1n, 0n],
      [0x1234n, 0xabcdn, 2n],
      [0xffffn, 0n, 2n],
      [0n, 0xffffn, 2n],
      [0x0a000001n, 0xc0a80001n, 4n],
      [0xffffffffn, 0n, 4n],
      [0x1n, 0x2n, 3n],
      [0x1n, 0x2n, 8n],
      [0x1234n, 0xabcdn, 0x12n],
      [0x1234n, 0xabcdn, 0x14n],
      [0x1234n, 0x1234n, 0x22n],
      [0xffffn, 0xfffen, 0x22n],
      [0x1234n, 0xabcdn, 0x62n],
      [0n, 0xedcbn, 0x30n],
      [0x1234n, 0xabcdn, 0x82n],
      [0x1234n, 0xabcdn, 0x102n],
    ] as const) {
      for (const off of id === 10 ? [24] : [40, 50]) cases.push([id, off, from, to, flags]);
    }
    for (const off of [23, 0x10000, 58, 60, 0xfffe]) cases.push([id, off, 0x1n, 0x2n, 2n]);
  }
  for (const [id, off, from, to, flags] of cases) {
    const insns = asm([
      `r2 = ${off}`,
      `r3 = ${from} ll`,
      `r4 = ${to} ll`,
      `r5 = ${flags}`,
      `call ${id}`,
      'exit',
    ]);
    same(
      'SCHED_CLS',
      insns,
      frames.map((data) => ({ data })),
      `${id === 10 ? 'l3' : 'l4'}_csum_replace(off ${off}, ${from}, ${to}, flags 0x${flags.toString(16)})`,
    );
  }
});

/** After a helper: r0 if it failed, else (skb->protocol << 16 | skb->len). */
const report = [
  'if r0 != 0 goto +4',
  'r0 = *(u32 *)(r6 + 16)',
  'r0 <<= 16',
  'r1 = *(u32 *)(r6 + 0)',
  'r0 |= r1',
  'exit',
];

test('bpf_skb_adjust_room: modes, encap/decap flags, limits and errors', { skip }, () => {
  const frames = [ipv4Frame(60), ipv4Frame(1514), ipv6Frame(94), arp(), vlanFrame(64, 0x8100, 0x0800)];
  const L2 = (n: bigint) => n << 56n;
  const flagSets = [
    0n,
    1n << 1n,
    (1n << 1n) | (1n << 2n),
    1n << 2n,
    (1n << 1n) | (1n << 3n),
    (1n << 1n) | (1n << 3n) | (1n << 4n),
  ];
  flagSets.push(
    (1n << 1n) | (1n << 6n),
    (1n << 1n) | (1n << 6n) | L2(14n),
    (1n << 1n) | L2(30n),
    1n << 5n,
    1n << 7n,
    1n << 8n,
    (1n << 7n) | (1n << 8n),
    1n << 9n,
    1n,
  );
  for (const diff of [20, -20, 8, -8, 0, 0xfff, 0x1000, -0x1000, -26, -40, -46, 4000]) {
    for (const mode of [0, 1, 2]) {
      for (const flags of mode === 1 || diff === 20 || diff === -20 ? flagSets : [0n]) {
        const insns = asm([
          'r6 = r1',
          `r2 = ${diff}`,
          `r3 = ${mode}`,
          `r4 = ${flags} ll`,
          'call 50',
          ...report,
        ]);
        same(
          'SCHED_CLS',
          insns,
          frames.map((data) => ({ data, dataSizeOut: 20000 })),
          `adjust_room(${diff}, mode ${mode}, flags 0x${flags.toString(16)})`,
        );
      }
    }
  }
  // Two encapsulations in one run: the second is EALREADY.
  const twice = asm([
    'r6 = r1',
    'r2 = 20',
    'r3 = 1',
    'r4 = 2',
    'call 50',
    'r1 = r6',
    'r2 = 20',
    'r3 = 1',
    'r4 = 2',
    'call 50',
    ...report,
  ]);
  same('SCHED_CLS', twice, [{ data: ipv4Frame(60) }], 'adjust_room twice with ENCAP_L3_IPV4');
});

test('bpf_skb_change_proto: IPv4 <-> IPv6 room, refusals', { skip }, () => {
  const frames = [
    ipv4Frame(60),
    ipv4Frame(34),
    ipv6Frame(54),
    ipv6Frame(94),
    arp(),
    vlanFrame(64, 0x8100, 0x0800),
  ];
  for (const [proto, flags] of [
    [0xdd86, 0],
    [0x0008, 0],
    [0xdd86, 1],
    [0x0608, 0],
  ] as const) {
    const insns = asm(['r6 = r1', `r2 = ${proto}`, `r3 = ${flags}`, 'call 31', ...report]);
    same(
      'SCHED_CLS',
      insns,
      frames.map((data) => ({ data })),
      `change_proto(0x${proto.toString(16)}, ${flags})`,
    );
  }
});

test('bpf_skb_vlan_push / pop: accelerated tag in __sk_buff, in-frame tags, double push', { skip }, () => {
  const short = vlanFrame(64, 0x8100, 0x0806).slice(0, 16);
  const frames = [
    ipv4Frame(60),
    vlanFrame(64, 0x8100, 0x0800),
    vlanFrame(68, 0x88a8, 0x8100),
    arp().slice(0, 14),
    short,
  ];
  // r0 = vlan_present << 31 | vlan_proto << 16 | vlan_tci, or the error.
  const tag = [
    'if r0 != 0 goto +7',
    'r0 = *(u32 *)(r6 + 20)',
    'r0 <<= 31',
    'r1 = *(u32 *)(r6 + 28)',
    'r1 <<= 16',
    'r0 |= r1',
    'r1 = *(u32 *)(r6 + 24)',
    'r0 |= r1',
    'exit',
  ];
  for (const [proto, tci] of [
    [0x0081, 100],
    [0xa888, 0xffff],
    [0x3412, 7],
    [0x0081, 0x12345],
  ] as const) {
    same(
      'SCHED_CLS',
      asm(['r6 = r1', `r2 = ${proto}`, `r3 = ${tci}`, 'call 18', ...tag]),
      frames.map((data) => ({ data })),
      `vlan_push(0x${proto.toString(16)}, ${tci})`,
    );
    same(
      'SCHED_CLS',
      asm([
        'r6 = r1',
        `r2 = ${proto}`,
        `r3 = ${tci}`,
        'call 18',
        'r1 = r6',
        'r2 = 0xa888',
        'r3 = 5',
        'call 18',
        ...tag,
      ]),
      frames.map((data) => ({ data })),
      `vlan_push twice (0x${proto.toString(16)}, ${tci})`,
    );
  }
  same(
    'SCHED_CLS',
    asm(['r6 = r1', 'call 19', ...tag]),
    frames.map((data) => ({ data })),
    'vlan_pop',
  );
  same(
    'SCHED_CLS',
    asm(['r6 = r1', 'call 19', 'r1 = r6', 'call 19', ...report]),
    frames.map((data) => ({ data })),
    'vlan_pop twice',
  );
  same(
    'SCHED_CLS',
    asm(['r6 = r1', 'r2 = 0x0081', 'r3 = 9', 'call 18', 'r1 = r6', 'call 19', ...tag]),
    frames.map((data) => ({ data })),
    'vlan_push then pop',
  );
  // Where adjust_room and change_proto put their room after a pop or a double push (the MAC header length).
  for (const before of [
    ['call 19'],
    ['r2 = 0x0081', 'r3 = 9', 'call 18', 'r1 = r6', 'r2 = 0x0081', 'r3 = 3', 'call 18'],
  ]) {
    for (const after of [
      ['r2 = 8', 'r3 = 1', 'r4 = 0', 'call 50'],
      ['r2 = 0xdd86', 'r3 = 0', 'call 31'],
    ]) {
      const insns = asm([
        'r6 = r1',
        ...before,
        `if r0 != 0 goto +${1 + after.length}`,
        'r1 = r6',
        ...after,
        ...report,
      ]);
      same(
        'SCHED_CLS',
        insns,
        frames.map((data) => ({ data })),
        `${before.join('; ')} then ${after.join('; ')}`,
      );
    }
  }
});

test('bpf_skb_change_tail / change_head / pull_data: limits, zero fill, flags', { skip }, () => {
  const frames = [ipv4Frame(60), ipv4Frame(1514), arp()];
  const inputs = frames.map((data) => ({ data, dataSizeOut: 20000 }));
  for (const [len, flags] of [
    [0, 0],
    [13, 0],
    [14, 0],
    [15, 0],
    [60, 0],
    [160, 0],
    [3000, 0],
    [16064, 0],
    [16065, 0],
    [100, 1],
  ] as const) {
    same(
      'SCHED_CLS',
      asm(['r6 = r1', `r2 = ${len}`, `r3 = ${flags}`, 'call 38', ...report]),
      inputs,
      `change_tail(${len}, ${flags})`,
    );
  }
  for (const [room, flags] of [
    [0, 0],
    [14, 0],
    [100, 0],
    [2000, 0],
    [14550, 0],
    [16004, 0],
    [16005, 0],
    [0xffffffff, 0],
    [4, 1],
  ] as const) {
    same(
      'SCHED_CLS',
      asm(['r6 = r1', `r2 = ${room} ll`, `r3 = ${flags}`, 'call 43', ...report]),
      inputs,
      `change_head(${room}, ${flags})`,
    );
  }
  for (const len of [0, 10, 60, 61, 1514, 1515]) {
    same('SCHED_CLS', asm(['r6 = r1', `r2 = ${len}`, 'call 39', ...report]), inputs, `pull_data(${len})`);
  }
});
