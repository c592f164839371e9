// The workload set does its work: every program of bench/workloads/workloads.o gives the expected
// verdict and packet on the VM (interpreter, and the JIT once `engine: 'jit'` exists) and in the
// kernel, on the benchmark's packets and on packets that must change the answer (a corrupted
// checksum, TTL 1, the discard port, TCP, a truncated frame), and the counter counts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKENDS, open } from './workloads/engines.js';
import { rewrittenFrame, workloadSpec, workloads, XDP_DROP, XDP_PASS, XDP_TX } from './workloads/index.js';
import { udpFrame } from './workloads/packets.js';

const spec = workloadSpec();

function corrupt(frame: Uint8Array, at: number): Uint8Array {
  const f = frame.slice();
  f[at] = f[at]! ^ 0x40;
  return f;
}

interface Case {
  readonly name: string;
  readonly program: string;
  readonly packet: Uint8Array;
  readonly retval: number;
  readonly dataOut?: Uint8Array;
}

const cases: Case[] = [
  ...workloads(),
  { name: 'parse: TTL 1', program: 'wl_parse', packet: udpFrame({ size: 64, ttl: 1 }), retval: XDP_DROP },
  {
    name: 'parse: discard port',
    program: 'wl_parse',
    packet: udpFrame({ size: 64, dport: 9 }),
    retval: XDP_DROP,
  },
  {
    name: 'parse: truncated UDP',
    program: 'wl_parse',
    packet: udpFrame({ size: 64 }).slice(0, 40),
    retval: XDP_DROP,
  },
  {
    name: 'parse: not UDP',
    program: 'wl_parse',
    packet: corrupt(udpFrame({ size: 64 }), 14 + 9),
    retval: XDP_DROP,
  },
  { name: 'parse: 1500 bytes', program: 'wl_parse', packet: udpFrame({ size: 1500 }), retval: XDP_PASS },
  {
    name: 'csum: payload corrupted',
    program: 'wl_csum',
    packet: corrupt(udpFrame({ size: 64 }), 50),
    retval: XDP_DROP,
  },
  {
    name: 'csum: 1500, last byte corrupted',
    program: 'wl_csum',
    packet: corrupt(udpFrame({ size: 1500 }), 1499),
    retval: XDP_DROP,
  },
  {
    name: 'csum: address corrupted (pseudo-header)',
    program: 'wl_csum',
    packet: (() => {
      // A source address changed together with the IPv4 checksum, so only the UDP sum can tell.
      const good = udpFrame({ size: 64, saddr: [10, 0, 0, 9] });
      const f = udpFrame({ size: 64 });
      f.set(good.subarray(14, 34), 14);
      return f;
    })(),
    retval: XDP_DROP,
  },
  { name: 'csum: odd length', program: 'wl_csum', packet: udpFrame({ size: 63 }), retval: XDP_PASS },
  {
    name: 'csum: odd length corrupted',
    program: 'wl_csum',
    packet: corrupt(udpFrame({ size: 63 }), 62),
    retval: XDP_DROP,
  },
  {
    name: 'csum: no checksum',
    program: 'wl_csum',
    packet: udpFrame({ size: 64, noChecksum: true }),
    retval: XDP_PASS,
  },
  {
    name: 'rewrite: 1500 bytes',
    program: 'wl_rewrite',
    packet: udpFrame({ size: 1500, dport: 53 }),
    retval: XDP_TX,
    dataOut: rewrittenFrame({ size: 1500, dport: 53 }),
  },
  {
    name: 'rewrite: no UDP checksum',
    program: 'wl_rewrite',
    packet: udpFrame({ size: 64, noChecksum: true, daddr: [198, 51, 100, 7] }),
    retval: XDP_TX,
    dataOut: rewrittenFrame({ size: 64, noChecksum: true }),
  },
];

/** The counter's key for the default frame: 10.0.0.1 -> 10.0.0.2, 40000 -> 5000. */
function flowKey(dport: number): Uint8Array {
  const k = new Uint8Array(12);
  k.set([10, 0, 0, 1, 10, 0, 0, 2], 0);
  new DataView(k.buffer).setUint16(8, 40000);
  new DataView(k.buffer).setUint16(10, dport);
  return k;
}

for (const backend of BACKENDS) {
  const probe = open(spec, backend);
  const skip = probe.ok ? false : probe.reason;
  if (probe.ok) probe.collection.close();

  test(`workloads on ${backend}: verdicts and packets`, { skip }, () => {
    const opened = open(spec, backend);
    assert.ok(opened.ok);
    using c = opened.collection;
    for (const w of cases) {
      const program = c.programs.get(w.program);
      assert.ok(program, `${w.program} is in workloads.o`);
      const r = program.run({ data: w.packet });
      assert.equal(r.retval, w.retval, `${w.name}: retval`);
      assert.deepEqual(r.data, w.dataOut ?? w.packet, `${w.name}: the packet after the run`);
    }
  });

  test(`workloads on ${backend}: the counter counts packets and bytes per flow`, { skip }, () => {
    const opened = open(spec, backend);
    assert.ok(opened.ok);
    using c = opened.collection;
    const count = c.programs.get('wl_count')!;
    const flows = c.maps.get('flows')!;
    assert.equal(count.run({ data: udpFrame({ size: 64 }), repeat: 5 }).retval, XDP_PASS);
    assert.equal(count.run({ data: udpFrame({ size: 100, dport: 53 }) }).retval, XDP_PASS);
    assert.equal(count.run({ data: udpFrame({ size: 100, dport: 53 }) }).retval, XDP_PASS);
    const value = (dport: number) => {
      const v = flows.lookup(flowKey(dport));
      assert.ok(v, `a flow to port ${dport}`);
      const view = new DataView(v.buffer, v.byteOffset);
      return [view.getBigUint64(0, true), view.getBigUint64(8, true)];
    };
    assert.deepEqual(value(5000), [5n, 5n * 64n]);
    assert.deepEqual(value(53), [2n, 200n]);
    assert.equal(flows.lookup(flowKey(9)), undefined);
  });
}
