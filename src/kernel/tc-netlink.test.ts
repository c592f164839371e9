// The legacy netlink TC attachment (a direct-action cls_bpf filter on clsact), forced on this
// kernel (which has TCX links too), live on veths in namespaces of the test (prefix ktc): the
// ingress and egress filters count frames; `tc` (iproute2) sees what we made, which confirms
// the uapi constants of netlink-tc.ts against the kernel; a second attach at our place is
// EEXIST; update replaces exactly our filter; a filter someone else added (with `tc`) is left
// alone by update and close, and so is the qdisc it sits on; a qdisc we added goes when empty.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { release } from 'node:os';
import { test } from 'node:test';
import { sendTestFrames as send, waitFor } from '../../test/afxdp/kernel-env.js';
import { controlSkip } from '../../test/control/harness.js';
import { bumpSlot, counters, TEST_ETHERTYPE_LOADED } from '../../test/control/survive-env.js';
import { assemble } from '../asm/index.js';
import { BpfError } from '../errors.js';
import { haveTcxLinks } from './features.js';
import { attachTcx } from './link.js';
import { createMap, type KernelMap } from './map.js';
import { setBpfFilter, tcFilters } from './netlink-tc.js';
import { Netns } from './netns.js';
import { type KernelProgram, loadProgram } from './program.js';
import { NetlinkTcAttachment, openTcNetlink } from './tc-netlink-attachment.js';

const PREFIX = 'ktc';
const skip = controlSkip(PREFIX);

/** SCHED_CLS program counting test frames in `slot` of `map`, returning TC_ACT_OK (0). */
function tcCounter(map: KernelMap, slot: number, name: string): KernelProgram {
  return loadProgram({
    type: 'SCHED_CLS',
    name,
    insns: assemble(`ldxw r2, [r1+76]
ldxw r3, [r1+80]
mov r4, r2
add r4, 14
jgt r4, r3, out
ldxh r5, [r2+12]
jne r5, ${TEST_ETHERTYPE_LOADED}, out
${bumpSlot(map, slot)}
out:
mov r0, 0
exit`),
  });
}

const tc = (ns: Netns, ...args: string[]): string =>
  execFileSync('tc', ['-n', ns.name, ...args], { encoding: 'utf8' });

const errno = (name: string) => (e: unknown) => e instanceof BpfError && e.errnoName === name;

test('haveTcxLinks: this kernel makes TCX links (6.6+)', { skip }, () => {
  const [major = 0, minor = 0] = release().split('.').map(Number);
  assert.equal(haveTcxLinks().ok, major > 6 || (major === 6 && minor >= 6), JSON.stringify(haveTcxLinks()));
});

test('netlink TC: ingress and egress filters count frames, tc sees them, update replaces ours only', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 4 });
  using inA = tcCounter(map, 0, 'ktc_in');
  using outB = tcCounter(map, 1, 'ktc_out');
  using next = tcCounter(map, 2, 'ktc_next');
  ns.run(() => {
    using ing = attachTcx(inA, a.ifindex, 'ingress', { via: 'netlink' });
    using egr = attachTcx(outB, b.ifindex, 'egress', { via: 'netlink', priority: 7, handle: 3 });
    assert.ok(ing instanceof NetlinkTcAttachment && ing.kind === 'netlink' && ing.ownsQdisc);
    assert.deepEqual(ing.info(), {
      ifindex: a.ifindex,
      direction: 'ingress',
      priority: 1,
      handle: 1,
      progId: inA.id,
    });
    assert.deepEqual(tcFilters(b.ifindex, 'egress'), [
      { priority: 7, handle: 3, kind: 'bpf', programId: outB.id },
    ]);
    // iproute2 reads back what we wrote: clsact, the hooks, priority, handle, name, da.
    assert.match(tc(ns, 'qdisc', 'show', 'dev', a.name), /qdisc clsact ffff: parent ffff:fff1/);
    const shown = tc(ns, 'filter', 'show', 'dev', b.name, 'egress');
    assert.match(shown, /pref 7 bpf chain 0 handle 0x3 ktc_out direct-action/, shown);
    assert.equal(tc(ns, 'filter', 'show', 'dev', a.name, 'egress'), '', 'nothing on a egress');

    // Frames sent out of b leave by b's egress and arrive on a's ingress: both count each.
    send(ns, b.ifindex, 5);
    assert.ok(
      waitFor(() => counters(map, 4)[0] === 5 && counters(map, 4)[1] === 5),
      `${counters(map, 4)}`,
    );

    // Our place is taken: a second attach there is refused, nothing replaced.
    assert.throws(() => attachTcx(next, a.ifindex, 'ingress', { via: 'netlink' }), errno('EEXIST'));
    assert.throws(
      () => attachTcx(next, a.ifindex, 'ingress', { via: 'netlink', before: { programId: 1 } }),
      /TCX ordering/,
    );

    // Someone else's filter on the same hook, at another priority, made with tc.
    tc(
      ns,
      'filter',
      'add',
      'dev',
      a.name,
      'ingress',
      'pref',
      '9',
      'handle',
      '1',
      'bpf',
      'da',
      'bytecode',
      '1,6 0 0 0,',
    );
    ing.update(next);
    assert.equal(ing.info().progId, next.id);
    send(ns, b.ifindex, 3);
    assert.ok(
      waitFor(() => counters(map, 4)[2] === 3),
      `the new program counts (${counters(map, 4)})`,
    );
    assert.equal(counters(map, 4)[0], 5, 'the old one no longer runs');
    assert.throws(() => ing.update(inA, inA), errno('EEXIST'), 'not the expected program');
    const theirs = () => tcFilters(a.ifindex, 'ingress').filter((f) => f.priority === 9);
    assert.equal(theirs().length, 1, 'their filter is still there after our update');

    ing.close();
    assert.deepEqual(
      tcFilters(a.ifindex, 'ingress').map((f) => f.priority),
      [9],
      'close() deleted our filter, not theirs',
    );
    assert.match(tc(ns, 'qdisc', 'show', 'dev', a.name), /clsact/, 'the qdisc stays: not empty');
    assert.throws(() => ing.info(), /closed/);

    egr.close();
    assert.doesNotMatch(tc(ns, 'qdisc', 'show', 'dev', b.name), /clsact/, 'our empty qdisc is gone');
  });
});

test('netlink TC: a filter replaced by someone else is left alone; a clsact we found is kept; release leaves the filter, found again by openTcNetlink', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 4 });
  using ours = tcCounter(map, 0, 'ktc_ours');
  using other = tcCounter(map, 1, 'ktc_other');
  tc(ns, 'qdisc', 'add', 'dev', a.name, 'clsact');
  ns.run(() => {
    const att = attachTcx(ours, a.ifindex, 'ingress', { via: 'netlink', priority: 2, handle: 5 });
    assert.ok(att instanceof NetlinkTcAttachment);
    assert.equal(att.ownsQdisc, false, 'the qdisc was there');
    // Someone replaces our filter's program: detach and update refuse, close leaves it.
    // (tc cannot name a program by fd: replaced through the codec, as another process would.)
    setBpfFilter(att.place, other.fd, 'theirs', true);
    assert.throws(() => att.detach(), errno('EEXIST'));
    assert.throws(() => att.update(ours), errno('EEXIST'));
    att.close();
    assert.deepEqual(tcFilters(a.ifindex, 'ingress'), [
      { priority: 2, handle: 5, kind: 'bpf', programId: other.id },
    ]);

    // On a clsact someone else made, our close() leaves the qdisc even when it is empty.
    tc(ns, 'qdisc', 'add', 'dev', b.name, 'clsact');
    const onTheirs = attachTcx(ours, b.ifindex, 'egress', { via: 'netlink' }) as NetlinkTcAttachment;
    assert.equal(onTheirs.ownsQdisc, false);
    onTheirs.close();
    assert.equal(tc(ns, 'filter', 'show', 'dev', b.name, 'egress'), '');
    assert.match(tc(ns, 'qdisc', 'show', 'dev', b.name), /clsact/, 'not ours to remove');
    tc(ns, 'qdisc', 'del', 'dev', b.name, 'clsact');

    // A released attachment stays on the device and counts without any fd of ours.
    const kept = attachTcx(ours, b.ifindex, 'ingress', { via: 'netlink' }) as NetlinkTcAttachment;
    assert.equal(kept.ownsQdisc, true);
    kept.release();
  });
  send(ns, a.ifindex, 4);
  assert.ok(
    waitFor(() => counters(map, 4)[0] === 4),
    `the released filter counts (${counters(map, 4)})`,
  );
  assert.match(tc(ns, 'filter', 'show', 'dev', b.name, 'ingress'), /ktc_ours direct-action/);
  // Found again (from outside the namespace afterwards: the handle's socket is inside), closed.
  const again = ns.run(() => openTcNetlink(b.ifindex, 'ingress'));
  assert.equal(again.ownsQdisc, false, 'a found filter does not make the qdisc ours');
  assert.equal(again.info().progId, ours.id);
  again.close();
  assert.equal(tc(ns, 'filter', 'show', 'dev', b.name, 'ingress'), '', 'close() deleted it');
  assert.throws(() => ns.run(() => openTcNetlink(b.ifindex, 'ingress')), /no bpf TC filter/);
  assert.throws(() => ns.run(() => openTcNetlink(b.ifindex, 'egress', { priority: 3 })), /no bpf TC filter/);
  tc(ns, 'qdisc', 'del', 'dev', b.name, 'clsact');
  assert.throws(() => ns.run(() => openTcNetlink(b.ifindex, 'ingress')), /no bpf TC filter/, 'no clsact');
});
