// Surviving the controller with the data-plane library, on the kernel (three-hosts.ts): a child
// process runs the router through Dataplane on kernelPlatform while another sends UDP from host A
// to host B without pause. The controller is SIGKILLed: forwarding goes on (counted at B). A new
// controller in this process adopts the pinned maps, programs and links through the same API —
// nothing loaded or attached again — and a third, started with `upgrade`, loads the programs
// afresh and swaps them into the running links. Every datagram sent is received at B: none lost.
// The same again with XDP and TC attached through netlink (no link: the programs stay on the
// devices by themselves, adopted by what IFLA_XDP and the cls_bpf filter dump report, swapped
// with XDP_FLAGS_REPLACE and NLM_F_REPLACE).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { privateBpffs } from '../../test/control/bpffs.js';
import { controlSkip, firstLine } from '../../test/control/harness.js';
import { capture, PREFIX, threeHosts, udpFromA } from '../../test/control/three-hosts.js';
import { missingHelper } from '../../test/kernel-helpers.js';
import { until } from '../../test/wait.js';
import { loadCollectionSpec } from '../index.js';
import { type KernelCollection, openLink, openProgram, tcFilters, xdpAttached } from '../kernel/index.js';
import { Dataplane } from './index.js';
import { kernelPlatform } from './kernel.js';

const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);
const skip = controlSkip(PREFIX) ?? missingHelper(spec);
const child = (name: string) => new URL(`../../test/control/${name}.js`, import.meta.url).pathname;

/** The scenario with XDP attached as `via` says ('auto' is a bpf link on this kernel). */
const scenario = (via: 'auto' | 'netlink') => async (t: TestContext) => {
  using h = threeHosts();
  using fs = privateBpffs(PREFIX);
  using atB = capture(h.b, h.b1);
  const frame = udpFromA(h, { count: 1, src: '10.1.0.2', dst: '10.2.0.2', srcPort: 4242, dstPort: 9 })[0]!;
  let received = 0;
  /** Drains B's capture: our datagrams (UDP from port 4242). */
  const drain = () => {
    for (const f of atB.receive(1 << 20, 0)) if (f[23] === 17 && f[34] === 0x10 && f[35] === 0x92) received++;
  };
  /** Waits until `probe` holds, draining B's capture before each look. */
  const untilAtB = (probe: () => boolean, what: string) =>
    until(
      () => {
        drain();
        return probe();
      },
      () => `${what} (${received} received)`,
    );
  const children: ChildProcess[] = [];
  let dp: Dataplane | undefined;
  try {
    const controller = spawn(process.execPath, [
      child('dataplane-child'),
      h.r.name,
      fs.path,
      h.a0.name,
      h.b0.name,
      h.a1.mac,
      h.b1.mac,
      via,
    ]);
    children.push(controller);
    const { progId } = await firstLine(controller);
    const linkPin = `${fs.path}/link-${h.a0.ifindex}-xdp`;
    const netlinkPin = `${fs.path}/netlink-${h.a0.ifindex}-xdp`;
    const tcPin = `${fs.path}/netlink-${h.b0.ifindex}-tc-egress`;
    /** The program of our cls_bpf filter on b0's egress (netlink only). */
    const tcEgress = () =>
      h.r.run(() => tcFilters(h.b0.ifindex, 'egress').find((f) => f.priority === 1)?.programId);
    /** What a0 runs, as the device says, and the link holding it (none through netlink). */
    const running = () => h.r.run(() => xdpAttached(h.a0.ifindex)?.native);
    const linkId = (): number | undefined => {
      if (via === 'netlink') return undefined;
      using l = openLink({ pinned: linkPin });
      return l.id;
    };
    const firstLinkId = linkId();
    if (via === 'netlink') {
      assert.throws(() => openLink({ pinned: linkPin }), /ENOENT/, 'no link through netlink');
      using mark = openProgram({ pinned: netlinkPin });
      assert.equal(mark.id, progId, 'the attached program is pinned as ours');
      using tcMark = openProgram({ pinned: tcPin });
      assert.equal(tcEgress(), tcMark.id, 'the TC egress filter runs the program pinned as ours');
    }
    assert.equal(running(), progId);
    const sender = spawn(process.execPath, [
      child('sender-child'),
      h.a.name,
      String(h.a1.ifindex),
      Buffer.from(frame).toString('hex'),
    ]);
    children.push(sender);
    const sentLine = firstLine(sender);
    await untilAtB(() => received > 300, 'forwarded traffic at B');

    controller.kill('SIGKILL');
    await once(controller, 'exit');
    const atKill = received;
    await untilAtB(() => received > atKill + 300, 'forwarding to go on without a controller');

    // A new controller adopts: same programs (not loaded again), same links (not attached again).
    dp = new Dataplane(spec, kernelPlatform({ pinPath: fs.path, netns: h.r, xdpAttach: via, tcAttach: via }));
    const kc = () => dp!.collection as KernelCollection;
    assert.ok(
      kc().notes.some((n) => n.includes('programs: adopted')),
      kc().notes.join('; '),
    );
    assert.equal(kc().program('xdp_router').kernel.id, progId, 'the dead controller’s program');
    dp.bind(h.a0.name);
    dp.bind(h.b0.name);
    assert.equal(linkId(), firstLinkId, 'the same link');
    assert.equal(running(), progId, 'the same program on the device');
    assert.ok(dp.counters.forward > BigInt(atKill), 'the counters kept counting');
    const adopted = received;
    await untilAtB(() => received > adopted + 300, 'forwarding under the adopting controller');

    // Upgrade: programs loaded afresh and swapped into the same links under traffic.
    dp.release();
    dp = new Dataplane(
      spec,
      kernelPlatform({ pinPath: fs.path, netns: h.r, upgrade: true, xdpAttach: via, tcAttach: via }),
    );
    const newId = kc().program('xdp_router').kernel.id;
    assert.notEqual(newId, progId);
    dp.bind(h.a0.name);
    dp.bind(h.b0.name);
    assert.equal(linkId(), firstLinkId, 'still the same link');
    assert.equal(running(), newId, 'running the new program');
    if (via === 'netlink') {
      using mark = openProgram({ pinned: netlinkPin });
      assert.equal(mark.id, newId, 'now marked ours');
      using tcMark = openProgram({ pinned: tcPin });
      assert.equal(tcMark.id, kc().program('tc_router_egress').kernel.id, 'the new TC program marked ours');
      assert.equal(tcEgress(), tcMark.id, 'and running on b0 egress');
    }
    const upgraded = received;
    await untilAtB(() => received > upgraded + 300, 'forwarding by the upgraded program');

    sender.stdin!.end();
    const { sent } = await sentLine;
    // The assertion below says how many are missing if they never all arrive.
    await untilAtB(() => received >= sent!, `all ${sent} datagrams at B`).catch(() => {});
    t.diagnostic(`${sent} datagrams sent from A, ${received} received at B; ${atKill} before the kill`);
    assert.equal(received, sent, 'none lost across the kill, the adoption and the upgrade');
    const udp = dp.flows.find((f) => f.flow.srcPort === 4242);
    assert.equal(udp?.packets, BigInt(sent!), 'the flow counted every one, over three controllers');
    dp.close();
    assert.equal(running(), undefined, 'close() unbinds: the program left a0');
    if (via === 'netlink') assert.equal(tcEgress(), undefined, 'and our TC filter left b0');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    dp?.close();
  }
};

test(
  'the data plane outlives its controller; a new one adopts it, an upgrade swaps programs without loss',
  { skip, timeout: 240_000 },
  scenario('auto'),
);

test(
  'the same with XDP and TC attached through netlink: adopted from the devices, upgraded with XDP_FLAGS_REPLACE and NLM_F_REPLACE',
  { skip, timeout: 240_000 },
  scenario('netlink'),
);
