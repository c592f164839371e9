// The controller scenario of issue 12 on the kernel: three namespaces (test/control/three-hosts),
// the reference router bound to the middle one through the Dataplane API on kernelPlatform.
// Ping (answered by host B's stack) and UDP between the outer hosts are forwarded by XDP and
// counted in the router's counters; the kernel's routes and neighbours reach the maps through
// rtnetlink, so a route added with `ip route` in the middle namespace changes the path; a new
// flow reaches onFlowMiss; a punted packet reaches onPunt over a real AF_XDP socket.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { privateBpffs } from '../../test/control/bpffs.js';
import { controlSkip } from '../../test/control/harness.js';
import { startRouter } from '../../test/control/router-controller.js';
import {
  capture,
  echoRequest,
  ip,
  isEchoReply,
  PREFIX,
  sendFrames,
  sleepMs,
  threeHosts,
  udpFromA,
} from '../../test/control/three-hosts.js';
import { missingHelper } from '../../test/kernel-helpers.js';
import { UNTIL_MS } from '../../test/wait.js';
import { BpfError, Errno, loadCollectionSpec } from '../index.js';
import { openLink } from '../kernel/index.js';
import { xdpAttached } from '../kernel/netlink-xdp.js';
import { Dataplane } from './index.js';
import { kernelPlatform } from './kernel.js';

const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);
const skip = controlSkip(PREFIX) ?? missingHelper(spec);

/** Polls `dp` until `probe` holds (or throws after `ms`). */
function until(dp: Dataplane, probe: () => boolean, what: string, ms = UNTIL_MS): void {
  const start = Date.now();
  for (;;) {
    dp.poll();
    if (probe()) return;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    sleepMs(10);
  }
}

test('kernel: the router forwards ping and UDP by XDP, follows `ip route`, reports flow misses and punts', {
  skip,
  timeout: 180_000,
}, () => {
  using h = threeHosts();
  using fs = privateBpffs(PREFIX);
  const dp = new Dataplane(spec, kernelPlatform({ pinPath: fs.path, netns: h.r, followKernel: true }));
  try {
    const { misses, punted } = startRouter(dp, {
      a0: h.a0.name,
      b0: h.b0.name,
      macA: h.a1.mac,
      macB: h.b1.mac,
      followKernel: true,
    });
    // The hosts' MACs as the router's kernel knows them (what ARP would have learned).
    ip(
      '-n',
      h.r.name,
      'neigh',
      'replace',
      '10.1.0.2',
      'lladdr',
      h.a1.mac,
      'dev',
      h.a0.name,
      'nud',
      'permanent',
    );
    ip(
      '-n',
      h.r.name,
      'neigh',
      'replace',
      '10.2.0.2',
      'lladdr',
      h.b1.mac,
      'dev',
      h.b0.name,
      'nud',
      'permanent',
    );
    const has = (prefix: string) => dp.routes.some((r) => r.prefix === prefix);
    until(dp, () => has('10.1.0.0/24') && has('10.2.0.0/24'), 'the connected routes in the route map');
    assert.deepEqual(
      dp.routes.filter((r) => r.dev !== undefined).sort((x, y) => x.prefix.localeCompare(y.prefix)),
      [
        { prefix: '10.1.0.0/24', dev: h.a0.name },
        { prefix: '10.2.0.0/24', dev: h.b0.name },
      ],
    );

    // The router's own addresses become /32 routes to its stack, and follow `ip addr`.
    const local = (a: string) => dp.routes.some((r) => r.prefix === `${a}/32` && r.local === true);
    until(dp, () => local('10.1.0.1') && local('10.2.0.1'), "the router's addresses as local routes");
    ip('-n', h.r.name, 'addr', 'add', '10.1.0.99/32', 'dev', h.a0.name);
    until(dp, () => local('10.1.0.99'), 'an added address in the route map');
    ip('-n', h.r.name, 'addr', 'del', '10.1.0.99/32', 'dev', h.a0.name);
    until(dp, () => !has('10.1.0.99/32'), 'the deleted address to leave the map');

    // Ping: echo requests A → B, answered by B's stack, the replies forwarded back to A.
    using atA = capture(h.a, h.a1);
    using atB = capture(h.b, h.b1);
    const pings = Array.from({ length: 5 }, (_, seq) =>
      echoRequest({ srcMac: h.a1.mac, dstMac: h.a0.mac, src: '10.1.0.2', dst: '10.2.0.2', id: 0xd12, seq }),
    );
    const before = dp.counters.forward;
    sendFrames(h.a, h.a1, pings);
    const replies = atA.receive(64, 1000).filter(isEchoReply);
    assert.equal(replies.length, 5, 'five echo replies came back to A');
    for (const r of replies) assert.equal(r[22], 63, 'one hop: TTL 64 became 63 in the router');

    // UDP A → B: 40 datagrams of one flow.
    sendFrames(
      h.a,
      h.a1,
      udpFromA(h, { count: 40, src: '10.1.0.2', dst: '10.2.0.2', srcPort: 4000, dstPort: 9 }),
    );
    const udp = atB.receive(400, 1000).filter((f) => f[23] === 17 && f.length >= 42 && f[37] === 9);
    assert.equal(udp.length, 40, 'all 40 datagrams reached B');
    until(dp, () => dp.counters.forward >= before + 50n, 'the forward counter');
    // At least 5 requests + 5 replies + 40 datagrams; B's stack also answers some datagrams to its
    // closed port with ICMP port-unreachable (rate-limited), which the router forwards to A too.
    assert.ok(dp.counters.forward - before >= 50n, `forwarded by XDP: ${dp.counters.forward - before}`);
    const icmp = dp.flows.filter((f) => f.flow.protocol === 1 && f.flow.src === '10.1.0.2');
    assert.equal(
      icmp.reduce((n, f) => n + f.packets, 0n),
      5n,
      'the five echo requests in the flow table',
    );
    until(
      dp,
      () => misses.some((m) => m.flow.protocol === 17 && m.flow.srcPort === 4000),
      'the UDP flow miss',
    );
    const flow = dp.flows.find((f) => f.flow.protocol === 17 && f.flow.srcPort === 4000);
    assert.equal(flow?.packets, 40n);
    assert.equal(flow?.ifindex, h.b0.ifindex);

    // No route to 10.9.0.0/24 yet: not forwarded. `ip route add` in R puts it in the map: forwarded.
    const toNine = () =>
      udpFromA(h, { count: 10, src: '10.1.0.2', dst: '10.9.0.1', srcPort: 4100, dstPort: 9 });
    const noRoute = dp.counters.noRoute;
    sendFrames(h.a, h.a1, toNine());
    assert.equal(
      atB.receive(10, 300).filter((f) => f[33] === 1 && f[32] === 0).length,
      0,
      'nothing reached B',
    );
    until(dp, () => dp.counters.noRoute >= noRoute + 10n, 'the noRoute counter');
    ip('-n', h.r.name, 'route', 'add', '10.9.0.0/24', 'via', '10.2.0.2', 'dev', h.b0.name);
    until(dp, () => has('10.9.0.0/24'), 'the new route in the route map');
    assert.deepEqual(
      dp.routes.find((r) => r.prefix === '10.9.0.0/24'),
      {
        prefix: '10.9.0.0/24',
        dev: h.b0.name,
        via: '10.2.0.2',
      },
    );
    const fwd = dp.counters.forward;
    sendFrames(h.a, h.a1, toNine());
    assert.equal(
      atB.receive(10, 1000).filter((f) => f[33] === 1 && f[32] === 0).length,
      10,
      'now B gets them',
    );
    until(dp, () => dp.counters.forward >= fwd + 10n, 'forwarding by the new route');
    const nine = dp.flows.find((f) => f.flow.dst === '10.9.0.1' && f.flow.srcPort === 4100);
    assert.deepEqual([nine?.packets, nine?.nexthop], [10n, '10.2.0.2'], 'by the route’s next hop');
    ip('-n', h.r.name, 'route', 'del', '10.9.0.0/24');
    until(dp, () => !has('10.9.0.0/24'), 'the deleted route to leave the map');

    // The controller's punt route: the packets reach its handler over AF_XDP.
    sendFrames(h.a, h.a1, udpFromA(h, { count: 3, src: '10.1.0.2', dst: '10.77.0.5', dstPort: 179 }));
    until(dp, () => punted.length === 3, 'three punted packets');
    assert.ok(punted.every((p) => p.device === h.a0.name && p.data[33] === 5 && p.data[37] === 179));
    assert.equal(dp.counters.punt, 3n);

    // close() unbinds: the links leave the devices and their pins go.
    const pin = `${fs.path}/link-${h.a0.ifindex}-xdp`;
    openLink({ pinned: pin }).close(); // pinned while bound
    dp.close();
    assert.throws(
      () => openLink({ pinned: pin }),
      (e: unknown) => e instanceof BpfError && e.errno === Errno.ENOENT,
    );
    assert.equal(
      h.r.run(() => xdpAttached(h.a0.ifindex)),
      undefined,
      'no XDP program left on a0',
    );
  } finally {
    dp.close();
  }
});
