// Surviving the controller, on the kernel: a child process (test/control/controller-child)
// loads an XDP counter, attaches it with a link to a veth in a namespace of the test and pins
// link and map; another child sends frames into the veth's peer without pause. The controller
// is killed (SIGKILL) mid-traffic: the pinned link keeps the program counting. A new controller
// (this process) adopts link and map from their pins — no program is loaded again — and
// replaces the program through the link (BPF_LINK_UPDATE) while traffic flows: every frame
// sent is counted, by the old program or the new one (slot 0), none lost.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { privateBpffs } from '../../test/control/bpffs.js';
import { controlSkip, firstLine } from '../../test/control/harness.js';
import { counters, countingProgram } from '../../test/control/survive-env.js';
import { until } from '../../test/wait.js';
import { Netns } from './netns.js';
import { objectIds, openLink, openMap, openProgram } from './open.js';

const skip = controlSkip('k12');
const child = (name: string) => new URL(`../../test/control/${name}.js`, import.meta.url).pathname;

test('the data path outlives its controller; a new one adopts the pins and upgrades without loss', {
  skip,
  timeout: 180_000,
}, async (t) => {
  using fs = privateBpffs('k12');
  using ns = Netns.create('k12');
  const { a, b } = ns.addVeth();
  const children: ChildProcess[] = [];
  try {
    const controller = spawn(process.execPath, [
      child('controller-child'),
      ns.name,
      String(a.ifindex),
      fs.path,
    ]);
    children.push(controller);
    const ids = await firstLine(controller);
    const sender = spawn(process.execPath, [child('sender-child'), ns.name, String(b.ifindex)]);
    children.push(sender);
    const sentLine = firstLine(sender);

    using map = openMap({ pinned: `${fs.path}/counts` });
    await until(() => counters(map)[0]! > 200, 'traffic to be counted');

    // The controller dies; its fds close; the pins keep link, program and map.
    controller.kill('SIGKILL');
    await once(controller, 'exit');
    const atKill = counters(map)[0]!;
    await until(() => counters(map)[0]! > atKill + 200, 'counting to go on after the controller died');

    // A new controller adopts what is pinned: the same link running the same program.
    using link = openLink({ pinned: `${fs.path}/link` });
    assert.equal(link.id, ids.linkId);
    assert.equal(link.info().progId, ids.progId, 'the program loaded by the dead controller still runs');
    assert.equal(link.info().ifindex, a.ifindex);
    assert.equal(map.id, ids.mapId);
    using running = openProgram({ id: link.info().progId });
    assert.equal(running.name, 'k12_v1');

    // Upgrade under traffic: v2 counts into slot 0 as v1 did, and into slot 1 to show it runs.
    using v2 = countingProgram(map, [0, 1], 'k12_v2');
    const beforeUpdate = counters(map)[0]!;
    link.update(v2, running);
    assert.equal(link.info().progId, v2.id);
    await until(() => counters(map)[1]! > 200, 'the new program to count');
    assert.ok(beforeUpdate > 0);

    sender.stdin!.end();
    const { sent } = await sentLine;
    // The assertion below says what is missing if they never all arrive.
    await until(() => counters(map)[0] === sent, `all ${sent} frames counted`).catch(() => {});
    const [total, byV2] = counters(map);
    t.diagnostic(
      `${sent} frames sent, ${total} counted, ${byV2} by the upgraded program; ${atKill} before the kill`,
    );
    assert.equal(total, sent, `every frame sent was counted (${sent} sent, ${total} counted)`);
    assert.ok(byV2! > 0 && byV2! < total!, `both versions counted (${byV2} of ${total} by v2)`);
    running.close();
    await until(() => !objectIds('program').includes(ids.progId!), 'v1 to be freed once nothing holds it');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});
