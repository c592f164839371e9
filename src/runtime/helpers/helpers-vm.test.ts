// VM-only behaviour of the new helpers (no kernel oracle for these): bpf_fib_lookup against an
// embedder's routing table (every return code), bpf_spin_lock pairing and the lock-held-at-exit
// fault, ring buffer records consumed from the map, and the csum arithmetic on RFC 1624's example.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { RuntimeFault } from '../../errors.js';
import type { Instruction } from '../../isa/index.js';
import { exampleSpec, packet } from '../../kernel/test-fixtures.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../program/index.js';
import type { FibTable } from '../helper.js';
import { csumFold, csumPartial, replaceDiff, replaceWords } from './csum-math.js';
import { BPF_FIB_LKUP_RET, parseAddress } from './fib.js';

function spec(text: string, maps: MapSpec[] = [], refs: Record<number, string> = {}): CollectionSpec {
  const instructions: Instruction[] = assemble(text).map((i, k) =>
    refs[k] === undefined ? i : { ...i, src: 1, reference: refs[k] },
  );
  const program: ProgramSpec = {
    name: 'p',
    sectionName: 'xdp',
    type: 'XDP',
    flags: 0,
    instructions,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps, variables: [], license: 'GPL' };
}

const hashMap = (name: string, valueSize: number): MapSpec => ({
  name,
  type: 'HASH',
  keySize: 4,
  valueSize,
  maxEntries: 4,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
});

test('RFC 1624 section 4: incremental update of a header checksum', () => {
  // Header checksum 0xdd2f; a 16-bit field changes from 0x5555 to 0x3285: new checksum 0x0000.
  const check = 0xdd2f;
  const swap = (x: number) => ((x & 0xff) << 8) | (x >> 8);
  const out = replaceDiff(swap(check), replaceWords(swap(0x5555), swap(0x3285)));
  assert.equal(swap(out), 0x0000);
  assert.equal(csumFold(csumPartial(new Uint8Array(20), 0)), 0xffff);
});

test('bpf_fib_lookup: every return code against an embedder routing table', () => {
  // xdp_fib rewrites MACs and redirects through DEVMAP `egress` when the lookup succeeds.
  const table: FibTable = {
    devices: [
      { ifindex: 1, forwarding: true },
      { ifindex: 2, mac: '02:00:00:00:00:02', mtu: 1500 },
      { ifindex: 3, mac: '02:00:00:00:00:03', mtu: 60 },
    ],
    routes: [
      { prefix: '192.0.2.0/24', ifindex: 2, gateway: '10.0.0.254' },
      { prefix: '192.0.2.100/32', ifindex: 2 },
      { prefix: '198.51.100.0/24', ifindex: 2 },
      { prefix: '203.0.113.0/24', ifindex: 3 },
      { prefix: '192.0.2.200/32', ifindex: 2, type: 'blackhole' },
    ],
    neighbours: [{ ifindex: 2, address: '192.0.2.100', mac: '0a:0b:0c:0d:0e:0f' }],
  };
  using c = load(exampleSpec('xdp_fib.v3.o'), { fib: table });
  c.map('egress').update(
    new Uint8Array(new Uint32Array([2]).buffer),
    new Uint8Array(new Uint32Array([2]).buffer),
  );
  const syn = packet('ipv4_tcp_syn'); // 10.0.0.1 -> 192.0.2.100
  const r = c.program('xdp_fib').run({ data: syn });
  assert.equal(r.retval, 4); // XDP_REDIRECT
  assert.deepEqual([...r.data.subarray(0, 12)], [10, 11, 12, 13, 14, 15, 2, 0, 0, 0, 0, 2]);
  assert.equal(r.data[22], syn[22]! - 1, 'TTL decremented');
  assert.deepEqual(c.redirect.ifindex, 2);
  // Without a table: forwarding off everywhere, the program passes the packet untouched.
  using bare = load(exampleSpec('xdp_fib.v3.o'));
  assert.equal(bare.program('xdp_fib').run({ data: syn }).retval, 2);

  // The codes themselves, through a program that calls bpf_fib_lookup and returns its result.
  const probe = (dst: string, ifindex: number, totLen: number, flags = 0, plen = 64, family = 2) => {
    const a = parseAddress(dst);
    const words: string[] = [];
    const params = new Uint8Array(64);
    const v = new DataView(params.buffer);
    params[0] = family;
    v.setUint16(6, totLen, true);
    v.setUint32(8, ifindex, true);
    params.set(a, 32);
    for (let k = 0; k < 64; k += 8) {
      words.push(`r1 = ${v.getBigUint64(k, true)} ll`, `*(u64 *)(r10 - ${64 - k}) = r1`);
    }
    const text = [
      ...words,
      'r1 = r6',
      'r2 = r10',
      'r2 += -64',
      `r3 = ${plen}`,
      `r4 = ${flags}`,
      'call 69',
      'exit',
    ];
    using p = load(spec(['r6 = r1', ...text].join('\n')), { fib: table });
    return p.program('p').run({ data: syn }).retval;
  };
  const R = BPF_FIB_LKUP_RET;
  assert.equal(probe('192.0.2.100', 1, 40), R.SUCCESS);
  assert.equal(probe('192.0.2.7', 1, 40), R.NO_NEIGH); // via the gateway 10.0.0.254: no entry
  assert.equal(probe('192.0.2.7', 1, 40, 4), R.SUCCESS); // BPF_FIB_LOOKUP_SKIP_NEIGH
  assert.equal(probe('192.0.2.200', 1, 40), R.BLACKHOLE);
  assert.equal(probe('8.8.8.8', 1, 40), R.NOT_FWDED);
  assert.equal(probe('203.0.113.9', 1, 61), R.FRAG_NEEDED);
  assert.equal(probe('192.0.2.100', 2, 40), R.SUCCESS); // ifindex 2 forwards (the default)
  assert.equal(probe('192.0.2.100', 9, 40), 0xffffffed); // -ENODEV
  assert.equal(probe('192.0.2.100', 1, 40, 0, 63), 0xffffffea); // -EINVAL: plen
  assert.equal(probe('192.0.2.100', 1, 40, 64), 0xffffffea); // -EINVAL: unknown flag
  assert.equal(probe('192.0.2.100', 1, 40, 0, 64, 3), 0xffffff9f); // -EAFNOSUPPORT
});

test('bpf_spin_lock: pairing in a map value; a lock held at exit faults', () => {
  const lookup = [
    'r1 = 0',
    '*(u32 *)(r10 - 4) = r1',
    'r1 = 0 ll',
    'r2 = r10',
    'r2 += -4',
    'call 1',
    'if r0 == 0 goto +N',
    'r6 = r0',
  ];
  const run = (body: string[]) => {
    const text = [...lookup, ...body, 'r0 = 2', 'exit'];
    const skip = text.length - lookup.length - 1; // jump to `r0 = 2`
    const lines = text.map((l) => l.replace('+N', `+${skip}`));
    // The runtime's own lock checks: the map has no BTF, so a verifier (the kernel's too) refuses.
    using c = load(spec(lines.join('\n'), [hashMap('m', 16)], { 2: 'm' }), { verify: false });
    c.map('m').update(new Uint8Array(4), new Uint8Array(16));
    return c.program('p').run({ data: packet('ipv4_udp') }).retval;
  };
  assert.equal(run(['r1 = r6', 'call 93', 'r1 = r6', 'call 94']), 2);
  assert.throws(
    () => run(['r1 = r6', 'call 93']),
    (e: unknown) => e instanceof RuntimeFault && /exited holding/.test(e.message),
  );
  assert.throws(() => run(['r1 = r6', 'call 94']), /not the lock held/);
  assert.throws(() => run(['r1 = r6', 'call 93', 'r1 = r6', 'call 93']), /deadlock/);
  assert.throws(() => run(['r1 = r10', 'r1 += -8', 'call 93']), /not a bpf_spin_lock in a map value/);
});

test('xdp_ringbuf: SYN records reserved in place and others copied, consumed from the map', () => {
  using c = load(exampleSpec('xdp_ringbuf.v3.o'), { clock: { ns: () => 5n }, cpu: 1 });
  for (const p of ['ipv4_tcp_syn', 'ipv4_udp', 'ipv6_udp']) c.program('xdp_ringbuf').run({ data: packet(p) });
  const rb = c.map('events').map as unknown as { consume(): Uint8Array[] };
  const recs = rb.consume();
  assert.equal(recs.length, 2);
  // struct event: ts_ns 0, cpu 8, len 12, saddr 16, daddr 20, sport 24, dport 26, proto 28, kind 29.
  const fields = recs.map((r) => {
    const v = new DataView(r.buffer, r.byteOffset);
    return [r.length, v.getBigUint64(0, true), v.getUint32(8, true), r[28], r[29]];
  });
  assert.deepEqual(fields, [
    [32, 5n, 1, 6, 1],
    [32, 5n, 1, 17, 2],
  ]);
});
