// `tsbpf net attach|detach|show` on a veth in a namespace of the test (prefix kcn), the CLI run
// as a child inside it (`ip netns exec`), as a user would: the attach outlives the command (it
// is netlink's, as bpftool's), a second attach is refused, `overwrite` swaps, detach takes it off;
// `net show` prints the rows bpftool prints (compared with bpftool where it is installed).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { netnsSkip } from '../../test/netns.js';
import { assemble } from '../asm/index.js';
import { loadProgram, Netns, xdpAttached } from '../kernel/index.js';

const PREFIX = 'kcn';
const bin = fileURLToPath(new URL('../../../bin/tsbpf.js', import.meta.url));

const skip = netnsSkip(PREFIX);

/** The CLI in namespace `ns`: exit status, stdout, stderr. */
function tsbpf(ns: Netns, ...args: string[]) {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, bin, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function bpftool(ns: Netns, ...args: string[]): string | undefined {
  try {
    return execFileSync('ip', ['netns', 'exec', ns.name, 'bpftool', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    if (/No such file|not found/.test(String((e as { stderr?: string }).stderr))) return undefined;
    throw e;
  }
}

test('net attach / show / detach through netlink, as bpftool does', { skip, timeout: 60_000 }, (t) => {
  using ns = Netns.create(PREFIX);
  const { a } = ns.addVeth();
  const pass = (name: string) => loadProgram({ type: 'XDP', name, insns: assemble('mov r0, 2\nexit') });
  using first = pass('kcn_first');
  using second = pass('kcn_second');
  const runs = () => ns.run(() => xdpAttached(a.ifindex));

  const attach = tsbpf(ns, 'net', 'attach', 'xdpdrv', 'id', String(first.id), 'dev', a.name, '-j');
  assert.equal(attach.code, 0, attach.err);
  assert.deepEqual(JSON.parse(attach.out), {
    devname: a.name,
    ifindex: a.ifindex,
    mode: 'native',
    id: first.id,
  });
  assert.equal(runs()?.native, first.id, 'still attached after the command ended');

  const show = tsbpf(ns, 'net', 'show', 'dev', a.name, '-j');
  assert.equal(show.code, 0, show.err);
  const rows = JSON.parse(show.out) as { xdp: unknown[] }[];
  assert.deepEqual(rows, [{ xdp: [{ devname: a.name, ifindex: a.ifindex, mode: 'driver', id: first.id }] }]);
  const theirs = bpftool(ns, 'net', 'show', 'dev', a.name, '-j');
  if (theirs === undefined) t.diagnostic('bpftool is not installed: net show checked without it');
  else assert.deepEqual(rows[0]!.xdp, (JSON.parse(theirs) as { xdp: unknown[] }[])[0]!.xdp, 'as bpftool');

  const again = tsbpf(ns, 'net', 'attach', 'xdpdrv', 'id', String(second.id), 'dev', a.name);
  assert.notEqual(again.code, 0);
  assert.match(again.err, /EBUSY.*already attached/);
  const other = tsbpf(ns, 'net', 'attach', 'xdpgeneric', 'id', String(second.id), 'dev', a.name);
  assert.match(other.err, /EEXIST/);
  assert.equal(runs()?.native, first.id, 'nothing clobbered');

  const over = tsbpf(ns, 'net', 'attach', 'xdp', 'id', String(second.id), 'dev', a.name, 'overwrite');
  assert.equal(over.code, 0, over.err);
  assert.equal(runs()?.native, second.id, 'overwrite swapped it');

  const detach = tsbpf(ns, 'net', 'detach', 'xdpdrv', 'dev', a.name, '-j');
  assert.equal(detach.code, 0, detach.err);
  assert.equal(JSON.parse(detach.out).id, second.id);
  assert.equal(runs(), undefined, 'detached');
  const none = tsbpf(ns, 'net', 'detach', 'xdp', 'dev', a.name);
  assert.match(none.err, /no XDP program is attached/);
  assert.match(tsbpf(ns, 'net', 'attach', 'xdpoffload', 'id', '1', 'dev', a.name).err, /not supported/);
});
