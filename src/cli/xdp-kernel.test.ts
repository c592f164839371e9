// `tsbpf xdp run --kernel`: the main job on veth pairs in a namespace of the running kernel gives
// the simulation's verdicts, stack and transmit counts and map changes — for the README's DDoS
// filter and for a devmap redirect between two devices named by ifindex in --map-init.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kernelNetSkip } from '../../test/afxdp/kernel-env.js';
import { generateTraffic, writePcap } from '../net/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-xdpk-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const skip = kernelNetSkip() ?? false;

interface Device {
  name: string;
  xdp: Record<string, number>;
  stack: number;
  txPackets: number;
}
interface Report {
  devices: Device[];
  map_changes: unknown;
}

function run(...args: string[]): Report {
  const r = spawnSync(process.execPath, [join(root, 'bin/tsbpf.js'), 'xdp', 'run', ...args, '--json'], {
    encoding: 'utf8',
    cwd: root,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

/** The simulation's verdicts in the kernel's terms (veth counts XDP_ABORTED with the drops). */
function asKernel(d: Device) {
  const n = (a: string) => d.xdp[a] ?? 0;
  return {
    name: d.name,
    xdp: { PASS: n('PASS'), DROP_OR_ABORTED: n('DROP') + n('ABORTED'), TX: n('TX'), REDIRECT: n('REDIRECT') },
    stack: d.stack,
    txPackets: d.txPackets,
  };
}

type Changes = Record<string, { key: string[]; after?: string[] }[]>;

/** Each changed value as the sum of its u64 words (a per-CPU value summed over CPUs). */
function summed(changes: unknown): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [map, list] of Object.entries(changes as Changes)) {
    out[map] = {};
    for (const c of list) {
      const bytes = Uint8Array.from((c.after ?? []).map(Number));
      let n = 0n;
      for (let at = 0; at + 8 <= bytes.length; at += 8)
        n += new DataView(bytes.buffer).getBigUint64(at, true);
      out[map][c.key.join('')] = n.toString();
    }
  }
  return out;
}

function compare(args: string[]): Report {
  const sim = run(...args);
  const kernel = run(...args, '--kernel');
  assert.deepEqual(
    kernel.devices.map((d) => ({ name: d.name, xdp: d.xdp, stack: d.stack, txPackets: d.txPackets })),
    sim.devices.map(asKernel),
  );
  // Per-CPU values land on whichever CPU ran the frame: compare those maps by their sums.
  assert.deepEqual(summed(kernel.map_changes), summed(sim.map_changes));
  return kernel;
}

test('xdp run --kernel: the DDoS filter drops and passes as in the simulation', { skip }, () => {
  const k = compare([
    'examples/xdp_ddos.v3.o',
    '--dev',
    'eth0=examples/ddos.pcap',
    '--map-init',
    'examples/ddos-blocklist.json',
  ]);
  assert.deepEqual(k.devices[0]!.xdp, { PASS: 2000, DROP_OR_ABORTED: 1000, TX: 0, REDIRECT: 0 });
});

test('xdp run --kernel: a devmap redirect from one device out of another, by ifindex', { skip }, () => {
  const capture = join(tmp, 'in.pcap');
  writeFileSync(capture, writePcap(generateTraffic({ count: 40, src: '10.2.0.0/28', size: [60, 800] })));
  // tx_ports[0] = { ifindex 3 (the second --dev), no program }
  const init = join(tmp, 'devmap.json');
  writeFileSync(init, JSON.stringify({ tx_ports: [{ key: 0, value: [3, 0, 0, 0, 0, 0, 0, 0] }] }));
  const k = compare([
    'examples/xdp_redirect.v3.o',
    '--prog',
    'redirect_devmap',
    '--dev',
    `a=${capture}`,
    '--dev',
    'b',
    '--map-init',
    init,
  ]);
  assert.equal(k.devices[0]!.xdp.REDIRECT, 40);
  assert.equal(k.devices[1]!.txPackets, 40);
});

test('xdp run --kernel refuses the simulation-only options by name', () => {
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin/tsbpf.js'),
      'xdp',
      'run',
      'examples/xdp_ddos.v3.o',
      '--dev',
      'eth0',
      '--kernel',
      '--dump',
      'x',
    ],
    { encoding: 'utf8', cwd: root },
  );
  assert.equal(r.status, 255);
  assert.match(r.stderr, /--dump is for the simulation; not with --kernel/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
