// The reference router (examples/router) on the simulated data path, for what the kernel
// comparisons (src/kernel/router.test.ts, the `router` scenario) cannot observe: a route that asks
// bpf_fib_lookup, the flow-miss events on the ring buffer, and the metadata XDP leaves for TC.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { loadCollectionSpec } from '../index.js';
import { generateTraffic, Network } from './index.js';

const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);
const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ROUTE_F_FIB = 1;
/** enum reason in router.c. */
const R = { forward: 0, noRoute: 3, tcIngress: 9 };

function router() {
  const net = new Network({ cpus: 1 });
  net.addVethPair({ name: 'ra0' }, { name: 'ra1' });
  net.addVethPair({ name: 'rb0' }, { name: 'rb1', gro: true }); // GRO: veth takes redirected frames
  const a0 = net.device('ra0').ifindex;
  const b0 = net.device('rb0').ifindex;
  const c = load(spec, {
    ...net.loadOptions(),
    cpus: 1,
    fib: {
      devices: [{ ifindex: a0 }, { ifindex: b0, mac: '02:00:00:00:b0:00' }],
      routes: [{ prefix: '10.50.0.0/16', ifindex: b0, gateway: '10.20.0.1' }],
      neighbours: [{ ifindex: b0, address: '10.20.0.1', mac: '02:00:00:00:20:01' }],
    },
  });
  net.attach(net.device('ra0'), 'xdp', c.program('xdp_router'));
  net.attach(net.device('ra0'), 'tc-ingress', c.program('tc_router_ingress'));
  c.map('routes').update(
    Uint8Array.of(...u32(16), 10, 50, 0, 0),
    Uint8Array.of(...u32(0), ...u32(0), ...u32(ROUTE_F_FIB)),
  );
  c.map('tx_ports').update(u32(b0), u32(b0));
  return { net, c };
}

const stat = (c: ReturnType<typeof router>['c'], reason: number) =>
  new DataView(c.map('stats').lookup(u32(reason))!.buffer).getBigUint64(0, true);

test('a FIB route forwards with the MACs bpf_fib_lookup gave; each new flow is one ring-buffer event', () => {
  const { net, c } = router();
  using _c = c;
  using _net = net;
  const traffic = generateTraffic({ count: 12, src: '10.10.0.1', dst: '10.50.3.4', srcPort: [7000, 7003] });
  for (const p of traffic) net.send(net.device('ra1'), p.data, p.timestamp);
  net.run();
  const out = net.device('rb1').received;
  assert.equal(out.length, 12);
  for (const f of out) {
    assert.equal(hex(f.data.subarray(0, 12)), '020000002001020000' + '00b000', 'next hop MAC, then ours');
    assert.equal(f.data[22], 63, 'TTL decremented');
  }
  assert.equal(stat(c, R.forward), 12n);
  const events = c.consumeRingBuf().get('flow_events') ?? [];
  assert.equal(events.length, 4, 'four source ports: four flows');
  for (const e of events) {
    const v = new DataView(e.buffer, e.byteOffset, e.byteLength);
    assert.equal(hex(e.subarray(0, 8)), '0a0a00010a320304', 'the flow key: addresses');
    assert.equal(v.getUint32(16, true), net.device('ra0').ifindex, 'in_ifindex');
    assert.equal(v.getUint32(20, true), net.device('rb0').ifindex, 'out_ifindex');
    assert.equal(hex(e.subarray(24, 28)), '0a140001', 'the gateway as next hop');
  }
});

test('what XDP gives to the stack carries the reason to TC ingress', () => {
  const { net, c } = router();
  using _c = c;
  using _net = net;
  for (const p of generateTraffic({ count: 5, dst: '172.16.0.1' }))
    net.send(net.device('ra1'), p.data, p.timestamp);
  net.run();
  assert.equal(net.device('ra0').received.length, 5);
  assert.equal(stat(c, R.noRoute), 5n);
  assert.equal(stat(c, R.tcIngress), 5n, 'TC ingress found the metadata on every frame');
});
