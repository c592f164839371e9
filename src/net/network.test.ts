// The simulated data path's kernel semantics, one at a time: RSS, the flush at the end of a NAPI
// poll, veth's NDO_XMIT rule, verdict counting, devmap programs (egress_ifindex), broadcast,
// cpumap queue drops, xskmap delivery through XskPort, TC redirects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { assemble } from '../asm/index.js';
import { MemoryFault } from '../errors.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../program/index.js';
import { Network } from './network.js';
import { rssHash, toeplitz } from './rss.js';
import { generateTraffic } from './traffic.js';
import type { XskDeliveryMeta, XskPort } from './xsk-port.js';

const prog = (name: string, text: string, extra: Partial<ProgramSpec> = {}): ProgramSpec => ({
  name,
  sectionName: 'xdp',
  type: 'XDP',
  flags: 0,
  // `rX = map ll` names a map: make it the map-fd lddw the loader resolves.
  instructions: assemble(text).map((i) =>
    i.reference !== undefined && i.op === 0x18 ? { ...i, src: 1 } : i,
  ),
  license: 'GPL',
  funcInfo: [],
  lineInfo: [],
  ...extra,
});
const map = (name: string, type: MapSpec['type'], valueSize: number, maxEntries = 8): MapSpec => ({
  name,
  type,
  keySize: 4,
  valueSize,
  maxEntries,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
});
const spec = (programs: ProgramSpec[], maps: MapSpec[] = []): CollectionSpec => ({
  programs,
  maps,
  variables: [],
  license: 'GPL',
});
const u32 = (...ns: number[]) => {
  const b = new Uint8Array(4 * ns.length);
  ns.forEach((n, i) => {
    new DataView(b.buffer).setUint32(4 * i, n, true);
  });
  return b;
};
const frames = (count: number, extra = {}) => generateTraffic({ count, src: '10.9.0.0/24', ...extra });

test('RSS: the Toeplitz hash of the RSS specification verification suite', () => {
  // 66.9.149.187:2794 -> 161.142.100.80:1766 (Microsoft's "Verifying the RSS hash calculation").
  const addrs = Uint8Array.of(66, 9, 149, 187, 161, 142, 100, 80);
  assert.equal(toeplitz(addrs), 0x323e8fc2);
  assert.equal(toeplitz(Uint8Array.of(...addrs, 0x0a, 0xea, 0x06, 0xe6)), 0x51ccc178);
  const [f] = generateTraffic({
    count: 1,
    src: '66.9.149.187',
    dst: '161.142.100.80',
    srcPort: 2794,
    dstPort: 1766,
  });
  assert.equal(rssHash(f!.data), 0x51ccc178);
});

const redirectDevmap = () =>
  spec([prog('redir', 'r1 = tx ll\nr2 = 0\nr3 = 1\ncall 51\nexit')], [map('tx', 'DEVMAP', 8)]);

test('devmap redirect: the target sees the frames only at the end of the poll, 64 at a time', () => {
  using net = new Network();
  const [a0] = net.addVethPair({ name: 'a0' }, { name: 'a1' });
  const [b0, b1] = net.addVethPair({ name: 'b0' }, { name: 'b1', gro: true });
  using c = load(redirectDevmap(), net.loadOptions());
  c.map('tx').update(u32(0), u32(b0.ifindex, 0));
  net.attach(a0, 'xdp', c.program('redir'));
  net.inject(a0, frames(100));
  const first = net.run({ maxPolls: 1 });
  assert.equal(first.idle, false);
  assert.equal(b1.pending, 64, 'one poll of a0, flushed once');
  assert.equal(b0.stats.txPackets, 64);
  net.run();
  assert.equal(b1.received.length, 100);
  assert.equal(a0.stats.redirects['dev b0'], 100);
  assert.deepEqual(
    b1.received.map((f) => f.data),
    frames(100).map((f) => f.data),
    'unchanged, in order (one queue)',
  );
  net.close();
});

test("veth: a redirect into a veth whose peer runs no NAPI (no XDP, no GRO) fails, as the kernel's NDO_XMIT check", () => {
  using net = new Network();
  const [a0] = net.addVethPair({ name: 'a0' }, { name: 'a1' });
  const [b0, b1] = net.addVethPair({ name: 'b0' }, { name: 'b1' });
  using c = load(redirectDevmap(), net.loadOptions());
  c.map('tx').update(u32(0), u32(b0.ifindex, 0));
  net.attach(a0, 'xdp', c.program('redir'));
  net.inject(a0, frames(10));
  net.run();
  assert.equal(a0.stats.xdp.REDIRECT, 10);
  assert.equal(a0.stats.redirectErrors, 10);
  assert.equal(b1.received.length, 0);
  net.close();
});

test('devmap updates are checked against the network: an unknown ifindex is EINVAL', () => {
  using net = new Network();
  net.addDevice({ name: 'eth0' });
  using c = load(redirectDevmap(), net.loadOptions());
  assert.throws(() => c.map('tx').update(u32(0), u32(99, 0)), /EINVAL/);
  net.close();
});

test('verdicts: ABORTED and out-of-range actions are exceptions; XDP_TX on a wire device goes to the wire', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0' });
  const eth1 = net.addDevice({ name: 'eth1' });
  const eth2 = net.addDevice({ name: 'eth2' });
  using c = load(
    spec([prog('abort', 'r0 = 0\nexit'), prog('bad', 'r0 = 9\nexit'), prog('tx', 'r0 = 3\nexit')]),
    net.loadOptions(),
  );
  net.attach(eth0, 'xdp', c.program('abort'));
  net.attach(eth1, 'xdp', c.program('bad'));
  net.attach(eth2, 'xdp', c.program('tx'));
  for (const d of [eth0, eth1, eth2]) net.inject(d, frames(5));
  net.run();
  assert.deepEqual([eth0.stats.xdp.ABORTED, eth0.stats.xdpExceptions, eth0.stats.stack], [5, 5, 0]);
  assert.deepEqual([eth1.stats.xdp.INVALID, eth1.stats.xdpExceptions], [5, 5]);
  assert.deepEqual([eth2.stats.xdp.TX, eth2.wire.length, eth2.stats.txPackets], [5, 5, 5]);
  net.close();
});

test('devmap program: runs at the flush with egress_ifindex set; its DROP removes the frame', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0', queues: 2 });
  const eth1 = net.addDevice({ name: 'eth1' });
  const eth2 = net.addDevice({ name: 'eth2' });
  // Drops what leaves through eth2 (ifindex 4), passes the rest.
  const egress = prog('egress', 'r2 = *(u32 *)(r1 + 20)\nr0 = 2\nif r2 != 4 goto +1\nr0 = 1\nexit', {
    sectionName: 'xdp/devmap',
    attachType: 'XDP_DEVMAP',
  });
  const redir = prog('redir', 'r2 = *(u32 *)(r1 + 16)\nr1 = tx ll\nr3 = 0\ncall 51\nexit');
  // Verified: egress_ifindex is readable because the expected attach type is XDP_DEVMAP.
  using c = load(spec([redir, egress], [map('tx', 'DEVMAP', 8)]), net.loadOptions());
  const eg = c.program('egress').id;
  c.map('tx').update(u32(0), u32(eth1.ifindex, eg));
  c.map('tx').update(u32(1), u32(eth2.ifindex, eg));
  net.attach(eth0, 'xdp', c.program('redir'));
  // Queue 0 -> slot 0 (eth1), queue 1 -> slot 1 (eth2).
  net.inject(eth0, frames(40, { srcPort: [1000, 1039] }));
  const onQueue1 = eth0.rx[1]!.length;
  net.run();
  assert.ok(onQueue1 > 0 && onQueue1 < 40, 'RSS used both queues');
  assert.equal(eth1.wire.length, 40 - onQueue1);
  assert.equal(eth0.stats.redirects['dev eth2'], onQueue1, 'enqueued for eth2 ...');
  assert.equal(eth2.wire.length, 0, '... and dropped by the devmap program at the flush');
  assert.throws(() => net.attach(eth0, 'xdp', c.program('egress')), /XDP_DEVMAP/);
  // As bpf_prog_test_run_xdp: devmap (and cpumap) programs cannot be test-run.
  assert.throws(() => c.program('egress').run({ data: frames(1)[0]!.data }), /EINVAL/);
  net.close();
});

test('devmap broadcast with BPF_F_EXCLUDE_INGRESS: a copy to every other device', () => {
  using net = new Network();
  const devs = ['eth0', 'eth1', 'eth2'].map((name) => net.addDevice({ name }));
  using c = load(
    spec([prog('bcast', 'r1 = tx ll\nr2 = 0\nr3 = 24\ncall 51\nexit')], [map('tx', 'DEVMAP_HASH', 4)]),
    net.loadOptions(),
  );
  for (const d of devs) c.map('tx').update(u32(d.ifindex), u32(d.ifindex));
  net.attach(devs[0]!, 'xdp', c.program('bcast'));
  net.inject(devs[0]!, frames(3));
  net.run();
  assert.deepEqual(
    devs.map((d) => d.wire.length),
    [0, 3, 3],
  );
  net.close();
});

test('cpumap: the bulk moves to a queue of qsize frames; what does not fit is dropped', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0' });
  using c = load(
    spec([prog('tocpu', 'r1 = cpus ll\nr2 = 1\nr3 = 0\ncall 51\nexit')], [map('cpus', 'CPUMAP', 4, 2)]),
    net.loadOptions(),
  );
  c.map('cpus').update(u32(1), u32(8));
  net.attach(eth0, 'xdp', c.program('tocpu'));
  net.inject(eth0, frames(100));
  net.run();
  // Poll 1 takes 64: 8 fit, 56 dropped; the CPU empties its queue; poll 2 takes 36: 8 fit.
  assert.deepEqual({ ...net.cpumap }, { enqueued: 16, dropped: 84, processed: 16 });
  assert.equal(eth0.stats.stack, 16);
  net.close();
});

test('xskmap: frames reach the socket bound to the queue through XskPort; flushed once per poll', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0', queues: 2 });
  const got: XskDeliveryMeta[] = [];
  let flushes = 0;
  const port: XskPort = {
    id: net.sockets.allocateId(),
    ifindex: eth0.ifindex,
    queue: 1,
    deliver: (frame, meta) => {
      assert.ok(frame.length >= 60);
      got.push(meta);
      return got.length <= 5; // the sixth on: "ring full"
    },
    flush: () => {
      flushes++;
    },
  };
  net.sockets.register(port);
  using c = load(
    spec(
      [prog('xsk', 'r2 = *(u32 *)(r1 + 16)\nr1 = xsks ll\nr3 = 2\ncall 51\nexit')],
      [map('xsks', 'XSKMAP', 4, 4)],
    ),
    net.loadOptions(),
  );
  assert.throws(() => c.map('xsks').update(u32(0), u32(777)), /EBADF/);
  // The socket is bound to queue 1 but sits in slot 0 too: frames of queue 0 fail the bind check.
  c.map('xsks').update(u32(0), u32(port.id));
  c.map('xsks').update(u32(1), u32(port.id));
  net.attach(eth0, 'xdp', c.program('xsk'));
  const traffic = frames(40, { srcPort: [1000, 1039] });
  net.inject(eth0, traffic);
  const onQueue1 = eth0.rx[1]!.length;
  net.run();
  assert.ok(onQueue1 > 0 && onQueue1 < 40, 'RSS used both queues');
  assert.equal(got.length, onQueue1);
  assert.ok(got.every((m) => m.queue === 1 && m.ifindex === eth0.ifindex));
  assert.equal(flushes, 1);
  assert.equal(eth0.stats.redirectErrors, 40 - 5);
  net.close();
});

test("xskmap lookup: a program reads the socket's queue_id (struct bpf_xdp_sock) and nothing more", () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0', queues: 4 });
  const port: XskPort = {
    id: net.sockets.allocateId(),
    ifindex: eth0.ifindex,
    queue: 3,
    deliver: () => true,
    flush: () => {},
  };
  net.sockets.register(port);
  // Slot 0's socket: its queue_id into out[0]; no socket there: out[0] stays 0 and r0 is 1.
  const lookup = `r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = xsks ll
call 1
r6 = r0
r0 = 1
if r6 == 0 goto +9
r6 = *(u32 *)(r6 + 0)
r2 = r10
r2 += -4
r1 = out ll
call 1
if r0 == 0 goto +1
*(u32 *)(r0 + 0) = r6
r0 = 2
exit`;
  const maps = [map('xsks', 'XSKMAP', 4, 4), map('out', 'ARRAY', 4, 1)];
  using c = load(spec([prog('q', lookup)], maps), net.loadOptions());
  const frame = { data: new Uint8Array(64) };
  assert.equal(c.program('q').run(frame).retval, 1, 'an empty slot: NULL');
  c.map('xsks').update(u32(0), u32(port.id));
  assert.equal(c.program('q').run(frame).retval, 2);
  assert.deepEqual(
    [...c.map('out').lookup(u32(0))!],
    [3, 0, 0, 0],
    'queue_id: the queue the socket is bound to',
  );
  // A write into the socket, refused by the verifier, faults when run unverified.
  const writes = spec([prog('w', lookup.replace('r6 = *(u32 *)(r6 + 0)', '*(u32 *)(r6 + 0) = r6'))], maps);
  assert.throws(() => load(writes, net.loadOptions()), /cannot write into xdp_sock/);
  using raw = load(writes, { ...net.loadOptions(), verify: false });
  raw.map('xsks').update(u32(0), u32(port.id));
  assert.throws(
    () => raw.program('w').run(frame),
    (e: unknown) => e instanceof MemoryFault && e.access === 'write',
  );
  net.close();
});

test('TC: ingress redirect to another device egress; TC egress shoots', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0' });
  const eth1 = net.addDevice({ name: 'eth1' });
  const eth2 = net.addDevice({ name: 'eth2' });
  const tc = (name: string, text: string) => prog(name, text, { type: 'SCHED_CLS', sectionName: 'tc' });
  using c = load(
    spec([tc('to_eth1', `r1 = ${eth1.ifindex}\nr2 = 0\ncall 23\nexit`), tc('shoot', 'r0 = 2\nexit')]),
    net.loadOptions(),
  );
  net.attach(eth0, 'tc-ingress', c.program('to_eth1'));
  net.attach(eth2, 'tc-egress', c.program('shoot'));
  net.inject(eth0, frames(3));
  net.run();
  assert.deepEqual([eth0.stats.tcIngress.redirect, eth0.stats.stack, eth1.wire.length], [3, 0, 3]);
  net.send(eth2, frames(1)[0]!.data);
  assert.deepEqual([eth2.stats.tcEgress.drop, eth2.wire.length], [1, 0]);
  assert.throws(() => net.attach(eth0, 'xdp', c.program('shoot')), /SCHED_CLS/);
  net.close();
});

test('MTU: longer frames are dropped on receive; a jumbo MTU takes an xdp.frags program, which sees fragments', () => {
  using net = new Network();
  const eth0 = net.addDevice({ name: 'eth0' });
  const jumbo = net.addDevice({ name: 'jumbo', mtu: 9000 });
  using c = load(
    spec([
      prog('pass', 'r0 = 2\nexit'),
      // bpf_xdp_get_buff_len (188) > 4096: XDP_PASS, else XDP_DROP.
      prog('frags', 'call 188\nr1 = r0\nr0 = 1\nif r1 <= 4096 goto +1\nr0 = 2\nexit', {
        sectionName: 'xdp.frags',
        flags: 1 << 5,
      }),
    ]),
    net.loadOptions(),
  );
  net.attach(eth0, 'xdp', c.program('pass'));
  net.inject(eth0, [...frames(2, { size: 1514 }), ...frames(1, { size: 1600 })]);
  net.run();
  assert.deepEqual([eth0.stats.rxDropped, eth0.stats.xdp.PASS], [1, 2]);
  assert.throws(() => net.attach(jumbo, 'xdp', c.program('pass')), /not an xdp.frags program/);
  net.attach(jumbo, 'xdp', c.program('frags'));
  net.inject(jumbo, frames(2, { size: 9014 }));
  net.run();
  assert.equal(jumbo.stats.xdp.PASS, 2);
  assert.equal(jumbo.received[0]!.data.length, 9014, 'linear part and fragments back together');
  assert.deepEqual(jumbo.received[0]!.data, frames(1, { size: 9014 })[0]!.data);
  net.close();
});

test('dispatcher: priority order, chain-call actions, XDP_PASS when the chain runs out', () => {
  using net = new Network();
  const devs = ['eth0', 'eth1', 'eth2'].map((name) => net.addDevice({ name }));
  // count: bumps hits[0] and passes; drop: XDP_DROP; tx: XDP_TX.
  const count = prog(
    'count',
    'r2 = 0\n*(u32 *)(r10 - 4) = r2\nr2 = r10\nr2 += -4\nr1 = hits ll\ncall 1\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 2\nexit',
  );
  using c = load(
    spec([count, prog('drop', 'r0 = 1\nexit'), prog('tx', 'r0 = 3\nexit')], [map('hits', 'ARRAY', 8, 1)]),
    net.loadOptions(),
  );
  const [count_, drop, tx] = ['count', 'drop', 'tx'].map((n) => c.program(n));
  // eth0: drop (prio 10) before count: count never runs.
  net.attach(devs[0]!, 'xdp', [{ program: count_! }, { program: drop!, priority: 10 }]);
  // eth1: count (PASS chains on), then tx.
  net.attach(devs[1]!, 'xdp', [{ program: tx!, priority: 60 }, { program: count_! }]);
  // eth2: count alone: the chain runs out, XDP_PASS.
  net.attach(devs[2]!, 'xdp', [{ program: count_!, chainCallActions: ['PASS', 'DROP'] }]);
  for (const d of devs) net.inject(d, frames(4));
  net.run();
  assert.deepEqual(
    devs.map((d) => [d.stats.xdp.DROP, d.stats.xdp.TX, d.stats.xdp.PASS]),
    [
      [4, 0, 0],
      [0, 4, 0],
      [0, 0, 4],
    ],
  );
  assert.equal(new DataView(c.map('hits').lookup(u32(0))!.buffer).getBigUint64(0, true), 8n);
  assert.throws(
    () => net.attach(devs[0]!, 'xdp', [{ program: drop!, chainCallActions: ['NOPE' as 'PASS'] }]),
    /NOPE/,
  );
  net.close();
});
