// The legacy netlink XDP attachment, forced on this kernel (which has XDP links too), live on
// veths in namespaces of the test (prefix knl): frames see the program; attach refuses where a
// program or a link already is (EBUSY, EEXIST for the other mode, as the kernel answers);
// update swaps only the expected program (EEXIST otherwise) and, under continuous traffic from
// a child process, without a frame going uncounted; detach and close take off only our
// program; a libxdp dispatcher is not replaced; a released attachment stays on the device and is found again by openXdpNetlink.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { release } from 'node:os';
import { test } from 'node:test';
import { sendTestFrames as send, waitFor } from '../../test/afxdp/kernel-env.js';
import { controlSkip, firstLine } from '../../test/control/harness.js';
import { counters, countingProgram } from '../../test/control/survive-env.js';
import { until } from '../../test/wait.js';
import { assemble } from '../asm/index.js';
import { BpfError } from '../errors.js';
import { haveXdpLinks } from './features.js';
import { attachXdp, type KernelLink } from './link.js';
import { createMap } from './map.js';
import { setXdpLegacy, xdpAttached } from './netlink-xdp.js';
import { Netns } from './netns.js';
import { loadProgram } from './program.js';
import { NetlinkXdpAttachment, openXdpNetlink } from './xdp-netlink-attachment.js';

const PREFIX = 'knl';
const skip = controlSkip(PREFIX);
const child = (name: string) => new URL(`../../test/control/${name}.js`, import.meta.url).pathname;

const errno = (name: string, text?: RegExp) => (e: unknown) =>
  e instanceof BpfError && e.errnoName === name && (text === undefined || text.test(e.message));

test('haveXdpLinks: this kernel makes XDP links (5.9+)', { skip }, () => {
  const [major = 0, minor = 0] = release().split('.').map(Number);
  const expected = major > 5 || (major === 5 && minor >= 9);
  assert.equal(haveXdpLinks().ok, expected, JSON.stringify(haveXdpLinks()));
});

test('netlink XDP: attach, refusals, update of the expected program only, detach of ours only', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  const other = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8 });
  using first = countingProgram(map, [0], 'knl_first');
  using second = countingProgram(map, [1], 'knl_second');
  using third = countingProgram(map, [2], 'knl_third');
  ns.run(() => {
    using att = attachXdp(first, a.ifindex, { mode: 'native', via: 'netlink' });
    assert.ok(att instanceof NetlinkXdpAttachment && att.kind === 'netlink');
    assert.deepEqual(att.info(), { ifindex: a.ifindex, mode: 'native', progId: first.id });
    assert.deepEqual(xdpAttached(a.ifindex)?.programIds, [first.id]);
    send(ns, b.ifindex, 4);
    assert.ok(
      waitFor(() => counters(map)[0] === 4),
      `the program sees the frames (${counters(map)})`,
    );

    // Nothing already there is clobbered, whichever way the second attach comes.
    assert.throws(
      () => attachXdp(second, a.ifindex, { mode: 'native', via: 'netlink' }),
      errno('EBUSY', /already attached/),
    );
    assert.throws(
      () => attachXdp(second, a.ifindex, { mode: 'generic', via: 'netlink' }),
      errno('EEXIST', /Native and generic XDP can't be active at the same time/),
    );
    assert.throws(() => attachXdp(second, a.ifindex, 'native'), errno('EBUSY'), 'nor by a bpf link');
    assert.equal(att.info().progId, first.id, 'still ours');

    // update: swaps, and only the program the handle expects.
    att.update(second);
    assert.equal(att.info().progId, second.id);
    send(ns, b.ifindex, 3);
    assert.ok(
      waitFor(() => counters(map)[1] === 3),
      `the second program counts (${counters(map)})`,
    );
    assert.equal(counters(map)[0], 4, 'the first no longer runs');
    assert.throws(() => att.update(third, first), errno('EEXIST', /does not match expected/));

    // Someone else replaces our program (no guard): detach refuses to take theirs off.
    setXdpLegacy(a.ifindex, third.fd, 1 << 2); // XDP_FLAGS_DRV_MODE
    assert.throws(() => att.detach(), errno('EEXIST'));
    att.close(); // leaves theirs
    assert.equal(xdpAttached(a.ifindex)?.native, third.id, 'their program stays');
    assert.throws(() => att.info(), /closed/);
    setXdpLegacy(a.ifindex, -1, 1 << 2);

    // A netlink attach where a bpf link holds the device is refused too.
    using link: KernelLink = attachXdp(first, other.a.ifindex, 'generic');
    assert.throws(
      () => attachXdp(second, other.a.ifindex, { mode: 'generic', via: 'netlink' }),
      errno('EBUSY', /BPF XDP link/),
    );
    assert.equal(link.info().progId, first.id);

    // A handle opened on a libxdp dispatcher does not replace it.
    using dispatcher = loadProgram({
      type: 'XDP',
      name: 'xdp_dispatcher',
      insns: assemble('mov r0, 2\nexit'),
    });
    setXdpLegacy(other.b.ifindex, dispatcher.fd, 1 << 1); // XDP_FLAGS_SKB_MODE
    try {
      const found = openXdpNetlink(other.b.ifindex);
      assert.throws(() => found.update(second), /libxdp multi-program dispatcher/);
      found.release();
    } finally {
      setXdpLegacy(other.b.ifindex, -1, 1 << 1);
    }
  });
});

test('netlink XDP: the attachment outlives its handle, is found again on the device, and close() detaches', {
  skip,
}, () => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8 });
  let id: number;
  {
    using prog = countingProgram(map, [0], 'knl_kept');
    id = prog.id;
    const att = ns.run(() => attachXdp(prog, a.ifindex, { mode: 'generic', via: 'netlink' }));
    assert.equal(att.kind, 'netlink');
    (att as NetlinkXdpAttachment).release();
  }
  // No fd of ours holds the program now: only the device does.
  send(ns, b.ifindex, 5);
  assert.ok(
    waitFor(() => counters(map)[0] === 5),
    `the released attachment still counts (${counters(map)})`,
  );
  const found = ns.run(() => openXdpNetlink(a.ifindex));
  try {
    // Asked from outside the namespace: the handle's socket was made inside it.
    assert.deepEqual(found.info(), { ifindex: a.ifindex, mode: 'generic', progId: id });
  } finally {
    found.close();
  }
  assert.equal(
    ns.run(() => xdpAttached(a.ifindex)),
    undefined,
    'close() took the program off',
  );
  assert.throws(() => ns.run(() => openXdpNetlink(a.ifindex)), /no XDP program is attached/);
});

test('netlink XDP: update under continuous traffic loses no frame', { skip, timeout: 120_000 }, async (t) => {
  using ns = Netns.create(PREFIX);
  const { a, b } = ns.addVeth();
  using map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8 });
  using v1 = countingProgram(map, [0], 'knl_v1');
  using v2 = countingProgram(map, [0, 1], 'knl_v2');
  using att = ns.run(() => attachXdp(v1, a.ifindex, { mode: 'native', via: 'netlink' }));
  const children: ChildProcess[] = [];
  try {
    const sender = spawn(process.execPath, [child('sender-child'), ns.name, String(b.ifindex)]);
    children.push(sender);
    const sentLine = firstLine(sender);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const now = () => `(counters ${counters(map)})`;
    await until(
      () => counters(map)[0]! > 200,
      () => `traffic to be counted ${now()}`,
    );
    // Swap back and forth under traffic: each swap is one RTM_SETLINK with REPLACE.
    for (let k = 0; k < 20; k++) {
      att.update(k % 2 === 0 ? v2 : v1);
      await sleep(5);
    }
    assert.equal(att.info().progId, v1.id);
    att.update(v2);
    await until(
      () => counters(map)[1]! > 200,
      () => `the new program to count ${now()}`,
    );
    sender.stdin!.end();
    const { sent } = await sentLine;
    // The assertion below says what is missing if they never all arrive.
    await until(() => counters(map)[0] === sent, `all ${sent} frames counted`).catch(() => {});
    const [total, byV2] = counters(map);
    t.diagnostic(`${sent} frames sent, ${total} counted, ${byV2} by v2 over 21 swaps`);
    assert.equal(total, sent, 'every frame was counted by one program or the other');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});
