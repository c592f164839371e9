// `tsbpf xdp run`: the README's main-job command, its outputs (--out-pcap, --dump), --json, and
// errors as the rest of the CLI reports them (exit 1, one line, no stack trace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readPcap, readPcapng, writePcap } from '../net/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-xdp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tsbpf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/tsbpf.js'), ...args], {
    encoding: 'utf8',
    cwd: root,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const MAIN = [
  'xdp',
  'run',
  'examples/xdp_ddos.v3.o',
  '--dev',
  'eth0=examples/ddos.pcap',
  '--map-init',
  'examples/ddos-blocklist.json',
];

test("xdp run: the README's main job prints a summary", () => {
  const r = tsbpf(...MAIN);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^xdp_ddos: 3000 frames on 1 device/);
  assert.match(r.out, /XDP: DROP 1000, PASS 2000/);
  assert.match(r.out, /c0a80107: 0000000000000000 -> e803000000000000/);
});

test('xdp run --json, --out-pcap, --dump', () => {
  const outPcap = join(tmp, 'out.pcap');
  const dump = join(tmp, 'dump.pcapng');
  const r = tsbpf(...MAIN, '--json', '--out-pcap', outPcap, '--dump', dump, '--queues', '2');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.frames, 3000);
  assert.deepEqual(j.devices[0].xdp, { ABORTED: 0, DROP: 1000, PASS: 2000, TX: 0, REDIRECT: 0, INVALID: 0 });
  assert.equal(j.devices[0].stack, 2000);
  assert.equal(readPcap(readFileSync(outPcap)).packets.length, 0, 'nothing transmitted');
  const d = readPcapng(readFileSync(dump));
  assert.equal(d.packets.length, 6000);
  assert.equal(d.packets.filter((p) => /@exit: XDP_DROP$/.test(p.comment ?? '')).length, 1000);
});

test('xdp run: errors are one line and exit 255', () => {
  const sll = join(tmp, 'sll.pcap');
  writeFileSync(sll, writePcap([{ timestamp: 0n, data: new Uint8Array(20), originalLength: 20 }], 113));
  for (const [args, message] of [
    [['xdp', 'run', 'examples/xdp_ddos.v3.o', '--dev', `eth0=${sll}`], /LINUX_SLL/],
    [
      ['xdp', 'run', 'examples/xdp_redirect.v3.o', '--dev', 'eth0=examples/ddos.pcap'],
      /choose one with --prog/,
    ],
    [['xdp', 'run', 'examples/xdp_ddos.v3.o'], /expected at least one --dev/],
    [
      ['xdp', 'run', 'examples/xdp_ddos.v3.o', '--dev', 'eth0=examples/ddos.pcap', '--prog', 'nope'],
      /no program 'nope'/,
    ],
    [['xdp', 'run', 'examples/xdp_ddos.v3.o', '--dev', 'a/b=examples/ddos.pcap'], /device name/],
  ] as const) {
    const r = tsbpf(...args);
    assert.equal(r.code, 255, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
