// The controller scenario of issue 12 on the simulated network: host A — router — host B, the
// router's data plane driven through the Dataplane API (bind, routes, neighbours, a VLAN), traffic
// between the outer hosts forwarded by XDP, a flow miss reaching the controller's callback, a
// punted packet reaching a TypeScript handler over AF_XDP, and a route change moving traffic.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startRouter } from '../../test/control/router-controller.js';
import { loadUnderTest } from '../../test/engines.js';
import { loadCollectionSpec, TsbpfError } from '../index.js';
import { formatMac, generateTraffic, Network, type TrafficTemplate } from '../net/index.js';
import {
  Dataplane,
  type DataplanePlatform,
  type FlowEvent,
  type PuntedPacket,
  simulatedPlatform,
} from './index.js';

const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);

/** The simulated platform, its programs loaded on the engine under test (test/engines.ts). */
const platform = (net: Network): DataplanePlatform => ({
  ...simulatedPlatform(net),
  load: (s) => loadUnderTest(s, { ...net.loadOptions(), cpus: net.cpus }),
});

/** hostA (a1) — (a0) router (b0) — hostB (b1); GRO on the hosts' ends takes redirected frames. */
function topology() {
  const net = new Network({ cpus: 2 });
  net.addVethPair({ name: 'r-a0' }, { name: 'host-a', gro: true });
  net.addVethPair({ name: 'r-b0' }, { name: 'host-b', gro: true });
  const dp = new Dataplane(spec, platform(net));
  dp.bind('r-a0');
  dp.bind('r-b0');
  dp.setNeighbour('10.1.0.2', '02:00:00:00:0a:02'); // host A
  dp.setNeighbour('10.2.0.2', '02:00:00:00:0b:02'); // host B
  dp.setRoute({ prefix: '10.1.0.0/24', dev: 'r-a0' });
  dp.setRoute({ prefix: '10.2.0.0/24', dev: 'r-b0' });
  const send = (host: string, t: TrafficTemplate) => {
    for (const p of generateTraffic(t)) net.send(net.device(host), p.data, p.timestamp);
  };
  return { net, dp, send };
}

test('a controller forwards between two hosts, hears each new flow once, and moves traffic by route', () => {
  const { net, dp, send } = topology();
  using _dp = dp;
  using _net = net;
  const misses: FlowEvent[] = [];
  dp.onFlowMiss((e) => misses.push(e));

  send('host-a', { count: 20, src: '10.1.0.2', dst: '10.2.0.2', srcPort: [5000, 5001], dstPort: 53 });
  send('host-b', { count: 8, protocol: 'tcp', src: '10.2.0.2', dst: '10.1.0.2', dstPort: 22 });
  assert.deepEqual(dp.poll(), { flowMisses: 10, punted: 0, tableChanges: 0 });
  // Host B got A's 20 datagrams with the router's MAC as source, A got B's 8 segments.
  const atB = net.device('host-b').received;
  assert.equal(atB.length, 20);
  const routerB = dp.platform.device('r-b0').mac.replaceAll(':', '');
  for (const f of atB) {
    assert.equal(Buffer.from(f.data.subarray(0, 6)).toString('hex'), '020000000b02');
    assert.equal(Buffer.from(f.data.subarray(6, 12)).toString('hex'), routerB);
    assert.equal(f.data[22], 63);
  }
  assert.equal(net.device('host-a').received.length, 8);
  // Two UDP flows (two source ports) and eight TCP flows (a source port each).
  assert.equal(misses.length, 10);
  assert.equal(misses.filter((m) => m.flow.protocol === 17).length, 2);
  assert.ok(misses.every((m) => m.inIfindex !== m.outIfindex));
  const flows = dp.flows;
  assert.equal(flows.length, 10);
  assert.equal(
    flows.reduce((n, f) => n + f.packets, 0n),
    28n,
  );
  assert.equal(dp.counters.forward, 28n);

  // A more specific route sends 10.2.0.0/25 to the stack instead (local): the path changes.
  dp.setRoute({ prefix: '10.2.0.0/25', local: true });
  send('host-a', { count: 5, src: '10.1.0.2', dst: '10.2.0.2', start: 10n ** 9n });
  dp.poll();
  assert.equal(net.device('host-b').received.length, 20, 'nothing more reached host B');
  assert.equal(net.device('r-a0').received.length, 5, 'the router’s stack took them');
  assert.equal(dp.counters.local, 5n);
  assert.equal(dp.counters.tcIngress, 5n, 'TC ingress read the reason XDP left');
  assert.ok(dp.deleteRoute('10.2.0.0/25'));
  assert.equal(dp.deleteRoute('10.2.0.0/25'), false);
  assert.deepEqual(dp.routes.map((r) => r.prefix).sort(), ['10.1.0.0/24', '10.2.0.0/24']);
});

test('a punt route hands packets to the controller over AF_XDP; a VLAN interface tags what it forwards', () => {
  const { net, dp, send } = topology();
  using _dp = dp;
  using _net = net;
  const punted: PuntedPacket[] = [];
  dp.onPunt((p) => punted.push(p));
  dp.setRoute({ prefix: '10.9.9.9/32', punt: true });
  send('host-a', { count: 3, src: '10.1.0.2', dst: '10.9.9.9', dstPort: 179 });
  assert.equal(dp.poll().punted, 3);
  assert.equal(punted.length, 3);
  assert.ok(
    punted.every((p) => p.device === 'r-a0' && p.data[33] === 9),
    'the frames as sent',
  );

  dp.unbind('r-b0');
  dp.bind('r-b0', { vlan: 100 });
  send('host-a', { count: 4, src: '10.1.0.2', dst: '10.2.0.2', start: 10n ** 9n });
  dp.poll();
  const tagged = net.device('host-b').received;
  assert.equal(tagged.length, 4);
  for (const f of tagged) assert.equal(Buffer.from(f.data.subarray(12, 16)).toString('hex'), '81000064');
});

test('bad controller input is refused by name; unbinding detaches; close releases', () => {
  const { net, dp } = topology();
  using _net = net;
  const refused = (f: () => void, text: RegExp) =>
    assert.throws(
      f,
      (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT' && text.test(e.message),
    );
  refused(() => dp.setRoute({ prefix: '10.0.0.0/33', dev: 'r-a0' }), /not an IPv4 prefix/);
  refused(() => dp.setRoute({ prefix: '10.0.0.0/8', dev: 'r-a0', local: true }), /exactly one/);
  refused(
    () => dp.setRoute({ prefix: '10.0.0.0/8', via: '10.0.0.1', local: true }),
    /exactly one|via needs dev/,
  );
  refused(() => dp.setNeighbour('10.0.0.300', '02:00:00:00:00:01'), /not an IPv4 address/);
  refused(() => dp.setNeighbour('10.0.0.3', '02:00:00:00:00'), /is not aa:bb:cc:dd:ee:ff/);
  refused(() => dp.bind('r-a0'), /bound already/);
  refused(() => dp.bind('r-x0'), /./);
  dp.unbind('r-a0');
  refused(() => dp.setRoute({ prefix: '10.1.0.0/24', dev: 'r-a0' }), /not bound/);
  assert.deepEqual(dp.bound, ['r-b0']);
  dp.close();
  assert.throws(
    () => dp.setNeighbour('10.0.0.3', '02:00:00:00:00:01'),
    (e: unknown) => e instanceof TsbpfError && e.code === 'CLOSED',
  );
  assert.throws(() => new Dataplane({ ...spec, programs: [] }, platform(net)), /no program 'xdp_router'/);
});

test('the controller of the kernel tests (test/control/router-controller) runs unchanged in the simulation', () => {
  // The three-hosts topology minus netlink: routes and neighbours from the controller itself.
  const net = new Network({ cpus: 2 });
  using _net = net;
  net.addVethPair({ name: 'a0' }, { name: 'a1', gro: true });
  net.addVethPair({ name: 'b0' }, { name: 'b1', gro: true });
  const mac = (d: string) => formatMac(net.device(d).mac);
  using dp = new Dataplane(spec, platform(net));
  const { misses, punted } = startRouter(dp, { a0: 'a0', b0: 'b0', macA: mac('a1'), macB: mac('b1') });
  const fromA = (t: TrafficTemplate) => {
    for (const p of generateTraffic({ ...t, srcMac: mac('a1'), dstMac: mac('a0') }))
      net.send(net.device('a1'), p.data, p.timestamp);
  };
  fromA({ count: 40, src: '10.1.0.2', dst: '10.2.0.2', srcPort: 4000, dstPort: 9 });
  fromA({ count: 3, src: '10.1.0.2', dst: '10.77.0.5', dstPort: 179 });
  assert.deepEqual(dp.poll(), { flowMisses: 1, punted: 3, tableChanges: 0 });
  assert.equal(net.device('b1').received.length, 40, 'all 40 datagrams reached B');
  assert.equal(dp.counters.forward, 40n);
  assert.equal(misses.length, 1);
  assert.equal(misses[0]!.flow.srcPort, 4000);
  assert.equal(dp.flows.find((f) => f.flow.srcPort === 4000)?.packets, 40n);
  assert.ok(punted.every((p) => p.device === 'a0' && p.data[33] === 5 && p.data[37] === 179));
  assert.equal(dp.counters.punt, 3n);
});
