// The control-plane side of links, live on veths in a namespace of the test (prefix k12):
// an XDP link's program replaced in place (BPF_LINK_UPDATE) while it stays attached, TCX
// ordering (before/after a link, a program fd, an id) as BPF_PROG_QUERY reports it, links
// pinned and opened again by pin and id, and the refusal to clobber a libxdp dispatcher.
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { test } from 'node:test';
import { sendTestFrames as send, waitFor } from '../../test/afxdp/kernel-env.js';
import { bpffsSkip, privateBpffs } from '../../test/control/bpffs.js';
import { bumpSlot, counters as slots } from '../../test/control/survive-env.js';
import { netnsSkip } from '../../test/netns.js';
import { assemble } from '../asm/index.js';
import { BpfError, TsbpfError } from '../errors.js';
import { attachTcx, attachXdp, tcxChain } from './link.js';
import { createMap, type KernelMap } from './map.js';
import { setXdpLegacy } from './netlink-xdp.js';
import { Netns } from './netns.js';
import { openLink, openMap, openProgram } from './open.js';
import { loadProgram } from './program.js';

const PREFIX = 'k12';

const skip = netnsSkip(PREFIX);
const pinSkip = skip ?? bpffsSkip();

/** XDP: adds 1 to slot `slot` of `map` (an 8-slot u64 array) for every frame, returns XDP_DROP. */
const countInto = (map: KernelMap, slot: number, name = 'k12_count') =>
  loadProgram({
    type: 'XDP',
    name,
    insns: assemble(`${bumpSlot(map, slot)}
out:
mov r0, 1
exit`),
  });

test('an XDP link gets a new program in place (BPF_LINK_UPDATE); BPF_F_REPLACE checks the old one', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8 });
  using first = countInto(map, 0);
  using second = countInto(map, 1);
  using link = ns.run(() => attachXdp(first, a.ifindex, 'native'));
  const id = link.id;
  send(ns, b.ifindex, 4);
  assert.ok(
    waitFor(() => slots(map)[0] === 4),
    `first program counts (${slots(map)})`,
  );
  link.update(second, first);
  assert.equal(link.info().progId, second.id, 'the link now runs the second program');
  assert.equal(link.id, id, 'and is the same link');
  assert.equal(link.info().ifindex, a.ifindex, 'still on the device');
  send(ns, b.ifindex, 3);
  assert.ok(
    waitFor(() => slots(map)[1] === 3),
    `second program counts (${slots(map)})`,
  );
  assert.equal(slots(map)[0], 4, 'the first no longer runs');
  assert.throws(
    () => link.update(first, first),
    (e: unknown) => e instanceof BpfError && e.op === 'BPF_LINK_UPDATE' && e.errnoName === 'EPERM',
    'BPF_F_REPLACE with a program the link does not run is refused',
  );
});

test('TCX links take their place before/after a link, a program or an id; tcxChain lists the order', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a } = ns.addVeth();
  const pass = (name: string) =>
    loadProgram({ type: 'SCHED_CLS', name, insns: assemble('mov r0, -1\nexit') });
  using pa = pass('k12_a');
  using pb = pass('k12_b');
  using pc = pass('k12_c');
  using pd = pass('k12_d');
  using pe = pass('k12_e');
  ns.run(() => {
    using la = attachTcx(pa, a.ifindex, 'ingress');
    using lb = attachTcx(pb, a.ifindex, 'ingress', { before: la }); // b a
    using lc = attachTcx(pc, a.ifindex, 'ingress', { after: { programId: pa.id } }); // b a c
    using ld = attachTcx(pd, a.ifindex, 'ingress', { before: 'all' }); // d b a c
    const { entries, revision } = tcxChain(a.ifindex, 'ingress');
    assert.deepEqual(
      entries.map((e) => e.programId),
      [pd.id, pb.id, pa.id, pc.id],
    );
    assert.deepEqual(
      entries.map((e) => e.linkId),
      [ld.id, lb.id, la.id, lc.id],
    );
    assert.equal(lc.info().attachType, 'TCX_INGRESS');
    assert.throws(
      () => attachTcx(pe, a.ifindex, 'ingress', { after: pb, expectedRevision: revision - 1n }),
      (e: unknown) => e instanceof BpfError && e.errnoName === 'ESTALE',
      'a stale revision is refused',
    );
    using le = attachTcx(pe, a.ifindex, 'ingress', { after: { linkId: lb.id }, expectedRevision: revision });
    assert.deepEqual(
      tcxChain(a.ifindex, 'ingress').entries.map((e) => e.programId),
      [pd.id, pb.id, pe.id, pa.id, pc.id],
    );
    assert.equal(tcxChain(a.ifindex, 'egress').entries.length, 0, 'egress is a hook of its own');
    lb.detach();
    assert.deepEqual(
      tcxChain(a.ifindex, 'ingress').entries.map((e) => e.linkId),
      [ld.id, le.id, la.id, lc.id],
    );
    assert.throws(() => attachTcx(pe, a.ifindex, 'ingress', { before: pa, after: pc }), TsbpfError);
  });
});

test('links, programs and maps pinned in bpffs open again by pin, id and name', { skip: pinSkip }, () => {
  using fs = privateBpffs(PREFIX);
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  const mapName = `k12m${process.pid % 100000}`;
  const map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8, name: mapName });
  const prog = countInto(map, 2, `k12p${process.pid % 100000}`);
  const link = ns.run(() => attachXdp(prog, a.ifindex, 'generic'));
  const ids = { map: map.id, prog: prog.id, link: link.id };
  link.pin(`${fs.path}/link`);
  map.pin(`${fs.path}/map`);
  prog.pin(`${fs.path}/prog`);
  assert.throws(
    () => map.pin(`${fs.path}/map`),
    (e: unknown) => e instanceof BpfError && e.errnoName === 'EEXIST',
  );
  link.close();
  map.close();
  prog.close();
  // Only the pins hold them now; the link keeps counting.
  send(ns, b.ifindex, 2);
  using byPin = openMap({ pinned: `${fs.path}/map` });
  assert.equal(byPin.id, ids.map);
  assert.deepEqual([byPin.keySize, byPin.valueSize, byPin.maxEntries, byPin.type], [4, 8, 8, 'ARRAY']);
  assert.ok(
    waitFor(() => slots(byPin)[2] === 2),
    `the pinned link still counts (${slots(byPin)})`,
  );
  using l2 = openLink({ pinned: `${fs.path}/link` });
  assert.deepEqual([l2.id, l2.info().progId, l2.info().ifindex], [ids.link, ids.prog, a.ifindex]);
  using l3 = openLink({ id: ids.link });
  assert.equal(l3.info().id, ids.link);
  using p2 = openProgram({ name: `k12p${process.pid % 100000}` });
  assert.deepEqual([p2.id, p2.type], [ids.prog, 'XDP']);
  using m2 = openMap({ name: mapName });
  assert.equal(m2.id, ids.map);
  using p3 = openProgram({ pinned: `${fs.path}/prog` });
  assert.equal(p3.id, ids.prog);
  assert.throws(() => openMap({ pinned: `${fs.path}/prog` }), /pinned program, not a map/);
  assert.throws(() => openProgram({ name: 'k12_no_such' }), /no program named 'k12_no_such'/);
  assert.throws(() => openMap({ id: 0x7ffffff0 }), /no map with id/);
  assert.throws(() => openLink({ name: 'x' }), /links have no names/);
  assert.throws(
    () => openMap({ pinned: `${fs.path}/none` }),
    (e: unknown) => e instanceof BpfError && e.errnoName === 'ENOENT',
  );
  // Unpinning the link (and closing our fds) takes the program off the device.
  unlinkSync(`${fs.path}/link`);
  l2.close();
  l3.close();
  assert.throws(() => openLink({ id: ids.link }), /no link with id/, 'the link is gone');
  send(ns, b.ifindex, 2);
  assert.equal(slots(byPin)[2], 2, 'and nothing counts any more');
});

test('attachXdp refuses to clobber a libxdp dispatcher (attached the legacy netlink way)', { skip }, () => {
  using ns = Netns.create(PREFIX);
  const { a } = ns.addVeth();
  using dispatcher = loadProgram({ type: 'XDP', name: 'xdp_dispatcher', insns: assemble('mov r0, 2\nexit') });
  using mine = loadProgram({ type: 'XDP', name: 'k12_mine', insns: assemble('mov r0, 2\nexit') });
  ns.run(() => {
    setXdpLegacy(a.ifindex, dispatcher.fd, 1 << 1); // XDP_FLAGS_SKB_MODE
    try {
      assert.throws(
        () => attachXdp(mine, a.ifindex, 'generic'),
        (e: unknown) =>
          e instanceof TsbpfError &&
          /libxdp multi-program dispatcher \(program \d+, 'xdp_dispatcher'\)/.test(e.message),
      );
    } finally {
      setXdpLegacy(a.ifindex, -1, 1 << 1);
    }
    using link = attachXdp(mine, a.ifindex, 'generic');
    assert.equal(link.info().progId, mine.id, 'with the dispatcher gone, the attach goes through');
  });
});
