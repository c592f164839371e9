// The reference router (examples/router) under BPF_PROG_TEST_RUN on both backends: the same maps,
// the same packets (forwarded, VLAN tag removed, rewritten and added, TTL expiry, no route, local,
// no neighbour, punt without a socket, QinQ, ARP, truncated), the same verdicts, the same output
// bytes (metadata included), and the same counters and flow table after the runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { missingHelper } from '../../test/kernel-helpers.js';
import { type Collection, encodeCtx, loadCollectionSpec } from '../index.js';
import { generateTraffic, type TrafficTemplate } from '../net/index.js';
import { bpfAvailability, loadKernel } from './index.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
/** lo: the one interface both backends have, so the devmap accepts it. */
const LO = 1;

function program(c: Collection, vlan: number) {
  const set = (map: string, key: Uint8Array, value: Uint8Array) => c.maps.get(map)!.update(key, value);
  const route = (len: number, a: number[], nexthop: number[], flags: number) =>
    set('routes', Uint8Array.of(...u32(len), ...a), Uint8Array.of(...nexthop, ...u32(LO), ...u32(flags)));
  route(16, [10, 20, 0, 0], [0, 0, 0, 0], 0);
  route(16, [10, 30, 0, 0], [10, 20, 0, 1], 0);
  route(16, [10, 99, 0, 0], [0, 0, 0, 0], 2); // local
  route(16, [10, 77, 0, 0], [0, 0, 0, 0], 4); // punt
  set('neighbours', Uint8Array.of(10, 20, 0, 5), Uint8Array.of(2, 0, 0, 0, 0x20, 5, 0, 0));
  set('neighbours', Uint8Array.of(10, 20, 0, 1), Uint8Array.of(2, 0, 0, 0, 0x20, 1, 0, 0));
  set('ifaces', u32(LO), Uint8Array.of(2, 0, 0, 0, 0xb0, 0, vlan & 0xff, vlan >> 8));
  set('tx_ports', u32(LO), u32(LO));
}

const one = (t: Omit<TrafficTemplate, 'count'>) => generateTraffic({ ...t, count: 1 })[0]!.data;
const PACKETS: Record<string, Uint8Array> = {
  forward: one({ src: '10.10.0.1', dst: '10.20.0.5', srcPort: 4000, size: 100 }),
  'forward tagged': one({ src: '10.10.0.1', dst: '10.20.0.5', vlan: 5, protocol: 'tcp' }),
  'via next hop': one({ src: '10.10.0.2', dst: '10.30.7.7', protocol: 'tcp', dstPort: 443 }),
  'ttl 1': one({ dst: '10.20.0.5', ttl: 1 }),
  'no route': one({ dst: '172.16.0.1' }),
  local: one({ dst: '10.99.0.1', vlan: 9 }),
  punt: one({ dst: '10.77.0.1' }),
  'no neighbour': one({ dst: '10.20.0.9' }),
  qinq: (() => {
    const f = one({ dst: '10.20.0.5', vlan: 3 });
    return Uint8Array.of(...f.subarray(0, 12), 0x88, 0xa8, 0, 1, ...f.subarray(12));
  })(),
  arp: Uint8Array.of(...new Uint8Array(12).fill(0xff), 0x08, 0x06, ...new Uint8Array(28)),
  truncated: one({ dst: '10.20.0.5' }).subarray(0, 30),
};

function runAll(c: Collection) {
  const xdp = c.programs.get('xdp_router')!;
  const out: Record<string, { retval: number; data: string; ctx?: string }> = {};
  for (const vlan of [0, 7]) {
    program(c, vlan);
    for (const [name, data] of Object.entries(PACKETS)) {
      const r = xdp.run({ data });
      out[`${name}, egress vlan ${vlan}`] = { retval: r.retval, data: hex(r.data) };
    }
  }
  const egress = c.programs.get('tc_router_egress')!;
  const r = egress.run({ data: PACKETS.forward!, ctx: encodeCtx('__sk_buff', {}) });
  out['tc egress'] = { retval: r.retval, data: hex(r.data), ctx: hex(r.ctx!) };
  return out;
}

/** Every entry of a map, per-CPU values summed as u64 counters (the stats map). */
function contents(c: Collection, name: string): Record<string, string> {
  const m = c.maps.get(name)!;
  const out: Record<string, string> = {};
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
    const v = m.lookup(k)!;
    if (name !== 'stats') out[hex(k)] = hex(v);
    else {
      const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
      let n = 0n;
      for (let at = 0; at < v.length; at += 8) n += d.getBigUint64(at, true);
      out[hex(k)] = n.toString();
    }
  }
  return out;
}

test('the router gives the kernel’s verdicts, packets and tables under test runs', {
  skip: skip || missingHelper(spec),
}, () => {
  using vm = load(spec);
  const kernel = loadKernel(spec);
  try {
    const k = runAll(kernel);
    const v = runAll(vm);
    assert.deepEqual(v, k);
    for (const map of ['stats', 'flows']) assert.deepEqual(contents(vm, map), contents(kernel, map), map);
    // The runs did what the names say (so that agreeing cannot mean both did nothing).
    assert.equal(k['forward, egress vlan 0']!.retval, 4); // XDP_REDIRECT
    assert.equal(k['forward tagged, egress vlan 7']!.retval, 4);
    assert.equal(k['no route, egress vlan 0']!.retval, 2); // XDP_PASS
    assert.equal(k['truncated, egress vlan 0']!.retval, 1); // XDP_DROP
    const fwd = PACKETS.forward!;
    assert.equal(k['forward, egress vlan 7']!.data.length, (fwd.length + 4) * 2, 'a tag was added');
    assert.equal(
      k['forward tagged, egress vlan 0']!.data.length,
      (PACKETS['forward tagged']!.length - 4) * 2,
    );
    // __sk_buff: vlan_present (offset 40) set by the egress program's push for ifindex 1's VLAN 7.
    assert.equal(
      Buffer.from(k['tc egress']!.ctx!, 'hex').readUInt32LE(40),
      1,
      'the stack’s frame was tagged',
    );
    assert.equal(contents(kernel, 'stats')['00000000'], '6', 'forwarded: 3 packets x 2 VLAN settings');
  } finally {
    kernel.close();
  }
});
