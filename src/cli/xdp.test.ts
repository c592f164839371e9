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
    assert.equal(r.code, 255, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});

test('xdp run --topology: devices, a veth pair, programs per device, devmap entries naming devices', () => {
  const r = tsbpf(
    'xdp',
    'run',
    'examples/xdp_redirect.v3.o',
    '--topology',
    'examples/topology.json',
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  // biome-ignore lint/suspicious/noExplicitAny: the report's JSON, read field by field
  const dev: Record<string, any> = Object.fromEntries(j.devices.map((d: { name: string }) => [d.name, d]));
  assert.deepEqual(
    j.devices.map((d: { name: string; ifindex: number }) => [d.name, d.ifindex]),
    [
      ['eth0', 2],
      ['veth0', 3],
      ['veth1', 4],
      ['eth1', 5],
    ],
  );
  assert.equal(j.frames, 6000);
  assert.equal(dev.eth0.program, 'redirect_devmap');
  assert.equal(dev.eth0.queues, 2);
  assert.equal(dev.eth0.capture, join('examples', 'ddos.pcap'), 'captures are found beside the topology');
  assert.equal(dev.eth0.xdp.REDIRECT, 3000);
  assert.deepEqual(dev.eth0.redirects, { 'dev veth0': 3000 }, 'tx_ports[0] = {"dev": "veth0"}');
  assert.deepEqual(dev.eth1.redirects, { 'dev eth0': 3000 }, 'tx_by_ifindex[eth1] = eth0');
  assert.equal(dev.eth0.txPackets, 3000, "eth1's frames leave through eth0");
  assert.equal(dev.veth0.peer, 'veth1');
  // Every frame redirected into the veth pair either crossed it or was dropped at the peer's ring.
  assert.equal(dev.veth0.txPackets + dev.veth0.txErrors, 3000);
  assert.equal(dev.veth1.rxPackets, dev.veth0.txPackets);
  assert.equal(dev.veth1.stack, dev.veth1.rxPackets, 'veth1 has no XDP program: its stack gets all');
});

test('xdp run --topology: mistakes in the file are one line naming the place', () => {
  const write = (name: string, doc: unknown) => {
    const path = join(tmp, name);
    writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return path;
  };
  const cases: [string[], RegExp][] = [
    [['--topology', write('a.json', '{')], /--topology '.*a\.json': not JSON/],
    [['--topology', write('b.json', { devices: [] })], /at least one device/],
    [
      ['--topology', write('c.json', { devices: [{ name: 'eth0', xdp: 'redirect_devmap', speed: 1 }] })],
      /devices\[0\]: unknown key 'speed'/,
    ],
    [['--topology', write('d.json', { devices: [{ name: 'eth0' }] })], /no device has an "xdp" program/],
    [
      [
        '--topology',
        write('e.json', {
          devices: [{ name: 'eth0', xdp: 'redirect_devmap' }],
          maps: { tx_ports: [{ key: 0, value: { dev: 'eth9' } }] },
        }),
      ],
      /maps\.tx_ports\[0\]\.value: no device "eth9" in the topology \(devices: eth0\)/,
    ],
    [['--topology', write('f.json', { devices: [{ name: 'eth0', xdp: 'nope' }] })], /no program 'nope'/],
    [
      [
        '--topology',
        write('g.json', { devices: [{ name: 'eth0', xdp: 'redirect_devmap', peer: { name: 'eth0' } }] }),
      ],
      /two devices are named 'eth0'/,
    ],
    [
      ['--topology', write('h.json', { devices: [{ name: 'eth0', xdp: 'redirect_devmap', queues: 0 }] })],
      /devices\[0\]\.queues: expected a count/,
    ],
    [
      [
        '--topology',
        write('i.json', { devices: [{ name: 'eth0', xdp: 'redirect_devmap', capture: 'missing.pcap' }] }),
      ],
      /missing\.pcap/,
    ],
    [['--topology', 'examples/topology.json', '--dev', 'eth0'], /--dev and --topology/],
    [['--topology', 'examples/topology.json', '--kernel'], /--kernel --topology/],
  ];
  for (const [args, message] of cases) {
    const r = tsbpf('xdp', 'run', 'examples/xdp_redirect.v3.o', ...args);
    assert.equal(r.code, 255, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  }
});
