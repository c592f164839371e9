// Generated skeletons in use, on the VM and (where bpf() works) on the kernel: the layout object
// of test/skeleton/ checks every codec against clang's layout both ways (the program reads what
// the codec wrote and writes what the codec must read), and an example object is configured
// through .rodata, run on a packet, and read back through its typed sections and maps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as countArray from '../../examples/skeletons/xdp_count_array.bpf.js';
import * as globalData from '../../examples/skeletons/xdp_global_data.bpf.js';
import { loadUnderTest as load } from '../../test/engines.js';
import * as layout from '../../test/skeleton/layout.bpf.js';
import { type Collection, TsbpfError, VmCollection, type VmProgram, XdpAction } from '../index.js';
import { bpfAvailability, type CollectionMap, type CollectionProgram, loadKernel } from '../kernel/index.js';
import { packet } from '../kernel/test-fixtures.js';

const avail = bpfAvailability();
const backends: {
  name: string;
  load: (spec: Parameters<typeof load>[0]) => Collection;
  skip: string | false;
}[] = [
  { name: 'VM', load: (spec) => load(spec), skip: false },
  { name: 'kernel', load: (spec) => loadKernel(spec), skip: avail.ok ? false : avail.reason },
];

/** The values layout.c's program writes and checks, field by field. */
const expected: layout.Layout = {
  byte: 0xab,
  big: 0x1122334455667788n,
  neg: -123456,
  color: layout.Color.BLUE,
  wide: layout.Wide.WIDE_B,
  flag: true,
  name: new Uint8Array([...'tsbpf'].map((c) => c.charCodeAt(0)).concat([0])),
  shorts: [1, 0xffff, 300],
  inners: [
    { tag: 1, val: 0xdeadbeef },
    { tag: 2, val: 42 },
  ],
  pair: { a: 7, b: -7 },
  u: { word: 0x04030201, bytes: new Uint8Array([1, 2, 3, 4]) },
  _anon11: { x: 9, y: 10 },
  bf_a: 5,
  bf_b: -9,
  bf_c: 0xabc,
  bf_d: 0x12345678abn,
  bf_e: true,
  last: -2n,
};

for (const b of backends) {
  test(`${b.name}: layout.c's codecs agree with clang's layout both ways; rodata set before load, data and bss after`, {
    skip: b.skip,
  }, () => {
    const skel = layout.open();
    assert.deepEqual(skel.rodata, { magic: 0, preset: { tag: 3, val: 33 } });
    assert.equal(skel.data.runs, 100n);
    skel.rodata.magic = 0x5eed;
    skel.rodata.preset.val = 44;
    using loaded = skel.load(b.load);
    const values = loaded.maps.values;
    values.update(1, expected);
    const run = loaded.programs.fill.run({ data: packet('ipv4_udp') });
    assert.equal(run.retval, XdpAction.XDP_PASS);
    assert.deepEqual(
      loaded.bss.get().diff,
      Array(19).fill(0n),
      'XOR of each field the program read with its value',
    );
    // What the program wrote (after zeroing) decodes to the same values, and they encode to its bytes.
    assert.deepEqual(values.lookup(0), expected);
    assert.deepEqual(values.raw.lookup(new Uint8Array(4)), layout.Layout.encode(expected));
    const { seen_magic, seen_preset } = loaded.bss.get();
    assert.deepEqual({ seen_magic, seen_preset }, { seen_magic: 0x5eed, seen_preset: 344 });
    assert.equal(loaded.data.get().runs, 101n);
    loaded.data.set({ runs: 7n });
    loaded.programs.fill.run({ data: packet('ipv4_udp') });
    assert.equal(loaded.data.get().runs, 8n);
    assert.deepEqual(loaded.rodata.get(), { magic: 0x5eed, preset: { tag: 3, val: 44 } });
    assert.deepEqual([...values.keys()], [0, 1]);
    // One wrong field is seen by the program: the codec's bits are the program's bits.
    values.update(1, { ...expected, bf_b: -8 });
    loaded.programs.fill.run({ data: packet('ipv4_udp') });
    const diff = loaded.bss.get().diff;
    assert.deepEqual(
      diff.map((d, i) => (d === 0n ? -1 : i)).filter((i) => i >= 0),
      [14],
    );
  });

  test(`${b.name}: xdp_global_data through its skeleton: the deny port set in rodata drops, counters in bss`, {
    skip: b.skip,
  }, () => {
    const skel = globalData.open();
    assert.deepEqual(skel.rodata, { deny_port: 23, drop_enabled: 1 });
    skel.rodata.deny_port = 80;
    using loaded = skel.load(b.load);
    const syn = packet('ipv4_tcp_syn'); // to port 80
    assert.equal(loaded.programs.xdp_global_data.run({ data: syn }).retval, XdpAction.XDP_DROP);
    const bss = loaded.bss.get();
    assert.equal(bss.seen_packets, 1n);
    assert.equal(bss.dropped_packets, 1n);
    assert.equal(bss.last_len, BigInt(syn.length));
    assert.equal(new TextDecoder().decode(bss.last_tag), 'tsbpf!\0\0');
    assert.equal(loaded.data.get().drop_budget, 999n);
    // The budget is writable after load: at 0 the program lets the port through.
    loaded.data.set({ drop_budget: 0n });
    assert.equal(loaded.programs.xdp_global_data.run({ data: syn }).retval, XdpAction.XDP_PASS);
    assert.equal(loaded.bss.get().seen_packets, 2n);
    assert.deepEqual(loaded.maps.rodata.lookup(0), { deny_port: 80, drop_enabled: 1 });
  });

  test(`${b.name}: a per-CPU map's values are one decoded struct per CPU`, { skip: b.skip }, () => {
    using loaded = countArray.open().load(b.load);
    const prog = loaded.programs.xdp_count_array;
    const udp = packet('ipv4_udp');
    prog.run({ data: udp });
    prog.run({ data: udp });
    const perCpu = loaded.maps.l3_stats.entries();
    let packets = 0n;
    let bytes = 0n;
    for (const [, cpus] of perCpu) {
      for (const c of cpus) {
        packets += c.packets;
        bytes += c.bytes;
      }
    }
    assert.equal(packets, 2n);
    assert.equal(bytes, BigInt(2 * udp.length));
    const first = loaded.maps.l3_stats.lookup(0)!;
    assert.ok(first.length >= 1);
    assert.throws(() => loaded.maps.l3_stats.update(0, []), /want an array of \d+ values/);
  });
}

test('codecs refuse values that do not fit their C type, naming the field', () => {
  const bad = (patch: Partial<layout.Layout>, field: RegExp) =>
    assert.throws(
      () => layout.Layout.encode({ ...expected, ...patch }),
      (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && field.test(e.message),
    );
  bad({ byte: 256 }, /layout\.byte: want an integer in \[0, 255\], got 256/);
  bad({ neg: 1.5 }, /layout\.neg/);
  bad({ big: -1n }, /layout\.big: want a bigint in uint64 range, got -1n/);
  bad({ shorts: [1, 2] }, /layout\.shorts: want an array of 3/);
  bad(
    {
      inners: [
        { tag: 1, val: 2 },
        { tag: 1, val: -1 },
      ],
    },
    /layout\.inners\[1\]\.val/,
  );
  bad({ name: new Uint8Array(5) }, /layout\.name: want a Uint8Array of 6 bytes, got 5 bytes/);
  bad({ bf_a: 8 }, /layout\.bf_a: want a 3-bit unsigned value, got 8n/);
  bad({ bf_b: -17 }, /layout\.bf_b: want a 5-bit signed value/);
  bad({ flag: 1 as unknown as boolean }, /layout\.flag: want a boolean/);
  bad({ pair: undefined as unknown as layout.PairT }, /layout\.pair: want an object/);
  assert.throws(() => layout.Layout.decode(new Uint8Array(95)), /95 bytes, want 96/);
  const skel = layout.open();
  skel.rodata.magic = -1;
  assert.throws(() => skel.load((spec) => load(spec)), /rodata\.magic: want an integer in \[0, 4294967295\]/);
});

test('codecs: bitfields round-trip every width at their bit positions; a union writes the members given', () => {
  for (const [bf_a, bf_b, bf_c, bf_d] of [
    [0, -16, 0, 0n],
    [7, 15, 0xfff, 0xffffffffffn],
    [3, -1, 0x800, 0x8000000001n],
  ] as const) {
    const value = { ...expected, bf_a, bf_b, bf_c, bf_d, bf_e: false };
    assert.deepEqual(layout.Layout.decode(layout.Layout.encode(value)), value);
  }
  const u = layout.LayoutU.encode({ bytes: new Uint8Array([0xef, 0xbe, 0xad, 0xde]) });
  assert.deepEqual(layout.LayoutU.decode(u), {
    word: 0xdeadbeef,
    bytes: new Uint8Array([0xef, 0xbe, 0xad, 0xde]),
  });
  assert.deepEqual([...layout.LayoutU.encode({ word: 0x01020304 })], [4, 3, 2, 1]);
});

test("handles carry the backend's own types: VmProgram and VmMap with load, CollectionProgram with loadKernel", {
  skip: avail.ok ? false : avail.reason,
}, () => {
  using vm = globalData.open().load(load);
  using kernel = globalData.open().load(loadKernel);
  // Compile-time: runOn exists only on the VM's programs, fd only on the kernel's.
  const vmProgram: VmProgram = vm.programs.xdp_global_data;
  const kernelProgram: CollectionProgram = kernel.programs.xdp_global_data;
  const kernelMap: CollectionMap = kernel.maps.bss.raw;
  assert.equal(typeof vmProgram.runOn, 'function');
  assert.ok(kernelProgram.fd > 0 && kernelMap.fd > 0);
  assert.ok(vm.collection instanceof VmCollection);
});
