import { runCli } from './test-cli.js';
// `tsbpf prog run` as issue 11 asks: captures in (pcap, pcapng, nanosecond stamps; other link
// types refused by name) and out (format from --format or the extension, timestamps and
// numbering kept, every file read back by tshark), bpftool's keywords, repeat as a u32, exit
// statuses when packets fail, the verifier's whole log on a refusal (VM and kernel), the
// progress bar only on a terminal, and Ctrl-C stopping a long run with what was done.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toolSkip } from '../../test/tools.js';
import { bpfAvailability } from '../kernel/index.js';
import { readPcap, writePcap, writePcapng } from '../net/index.js';
import { makeOutput } from './output.js';
import { Progress } from './progress.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tsbpf-prog-run-'));
const OBJ = 'examples/xdp_parse.v3.o';
const avail = bpfAvailability();

const cli = runCli;

const noTshark = toolSkip('apt-get install tshark; .ci/run installs it', 'tshark') ?? false;

/** tshark's view of a capture: per frame its epoch time, length and comment. */
function tshark(file: string): { time: string; len: number; comment: string }[] {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.comment'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [time, len, comment] = l.split('\t');
      return { time: time!, len: Number(len), comment: comment ?? '' };
    });
}

const eth = (n: number, fill = 0) => {
  const b = new Uint8Array(n).fill(fill);
  b[12] = 0x08; // EtherType IPv4
  return b;
};
/** Three packets with nanosecond stamps; the middle one is too short for an XDP test run (EINVAL). */
const stamps = [1_700_000_000_123_456_789n, 1_700_000_000_223_456_789n, 1_700_000_001_000_000_001n];
const mixed = join(tmp, 'mixed.pcap');
writeFileSync(
  mixed,
  writePcap([
    { timestamp: stamps[0]!, data: eth(60), originalLength: 60 },
    { timestamp: stamps[1]!, data: eth(10), originalLength: 10 },
    { timestamp: stamps[2]!, data: eth(74, 1), originalLength: 74 },
  ]),
);

test('--data-out: pcap, pcapng and raw by extension or --format; stamps and numbering kept; tshark reads each', {
  skip: noTshark,
}, async () => {
  const inputTimes = tshark(mixed).map((f) => f.time);
  assert.equal(inputTimes.length, 3);
  for (const [name, format, kind] of [
    ['out.pcap', undefined, 'pcap'],
    ['out.pcapng', undefined, 'pcapng'],
    ['out.dat', 'pcapng', 'pcapng'],
    ['out2.dat', undefined, 'pcap'], // the input's format
  ] as const) {
    const file = join(tmp, name);
    const r = await cli(
      'prog',
      'run',
      OBJ,
      '--data-in',
      mixed,
      '--data-out',
      file,
      ...(format ? ['--format', format] : []),
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`wrote 3 packet\\(s\\) to .*\\(${kind}\\)`));
    assert.match(r.out, /#1: 10 bytes -> error: /);
    const frames = tshark(file);
    assert.deepEqual(
      frames.map((f) => f.time),
      inputTimes,
      `${name}: the input's timestamps`,
    );
    assert.deepEqual(
      frames.map((f) => f.len),
      [60, 0, 74],
      `${name}: one record per input packet, the failed one empty`,
    );
    if (kind === 'pcapng') assert.match(frames[1]!.comment, /tsbpf: not run: .*EINVAL/);
  }
  const raw = join(tmp, 'one.bin');
  const one = await cli(
    'prog',
    'run',
    OBJ,
    '--packet',
    Buffer.from(eth(60)).toString('hex'),
    '--data-out',
    raw,
  );
  assert.equal(one.code, 0, one.err);
  assert.equal(readFileSync(raw).length, 60);
  const single = join(tmp, 'one.pcap');
  assert.equal(
    (await cli('prog', 'run', OBJ, '--packet', Buffer.from(eth(60)).toString('hex'), '--data-out', single))
      .code,
    0,
  );
  assert.equal(tshark(single).length, 1, 'one packet into a .pcap file is a capture tshark reads');
  const tooMany = await cli('prog', 'run', OBJ, '--data-in', mixed, '--data-out', join(tmp, 'x.raw'));
  assert.equal(tooMany.code, 255);
  assert.match(tooMany.err, /^Error: --data-out: a raw file holds one packet, this run has 3/);
});

test('exit status: 0 when some packets ran, 255 with --strict or when none could run', async () => {
  assert.equal((await cli('prog', 'run', OBJ, '--data-in', mixed)).code, 0);
  const strict = await cli('prog', 'run', OBJ, '--data-in', mixed, '--strict');
  assert.equal(strict.code, 255);
  assert.equal(strict.err, 'Error: 1 of 3 packet(s) could not be run (--strict)\n');
  const none = await cli('prog', 'run', OBJ, '--packet', '0102');
  assert.equal(none.code, 255);
  assert.equal(none.err, 'Error: 1 of 1 packet(s) could not be run\n');
});

test('pcapng in (nanosecond stamps) runs like pcap; raw-IP and cooked captures are refused by name', async () => {
  const ng = join(tmp, 'in.pcapng');
  writeFileSync(
    ng,
    writePcapng({
      interfaces: [{ name: 'eth0', linkType: 1, snapLength: 65535 }],
      packets: stamps.map((t) => ({ timestamp: t, data: eth(64), originalLength: 64, interface: 0 })),
    }),
  );
  const out = join(tmp, 'from-ng.pcap');
  const r = await cli('prog', 'run', OBJ, '--data-in', ng, '--data-out', out, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).runs.length, 3);
  assert.deepEqual(
    readPcap(new Uint8Array(readFileSync(out))).packets.map((p) => p.timestamp),
    stamps,
  );
  for (const [linkType, name] of [
    [101, /RAW \(IP without link header\)/],
    [113, /LINUX_SLL/],
  ] as const) {
    const file = join(tmp, `lt${linkType}.pcap`);
    writeFileSync(file, writePcap([{ timestamp: 0n, data: eth(40), originalLength: 40 }], linkType));
    const refused = await cli('prog', 'run', OBJ, '--data-in', file);
    assert.equal(refused.code, 255);
    assert.match(refused.err, name);
    const ngFile = join(tmp, `lt${linkType}.pcapng`);
    writeFileSync(
      ngFile,
      writePcapng({
        interfaces: [{ linkType, snapLength: 65535 }],
        packets: [{ timestamp: 0n, data: eth(40), originalLength: 40, interface: 0 }],
      }),
    );
    assert.match((await cli('prog', 'run', OBJ, '--data-in', ngFile)).err, name);
  }
});

test("bpftool's keywords: data_in FILE data_out FILE repeat N", async () => {
  const out = join(tmp, 'kw.pcap');
  const r = await cli('prog', 'run', OBJ, 'data_in', mixed, 'data_out', out, 'repeat', '3', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).runs.length, 3);
  assert.equal(readPcap(new Uint8Array(readFileSync(out))).packets.length, 3);
  const big = await cli('prog', 'run', OBJ, 'data_in', mixed, 'repeat', '4294967296');
  assert.equal(big.code, 255);
  assert.match(big.err, /^Error: --repeat: expected a u32 \(at most 4294967295\), got '4294967296'\n$/);
  // bpftool's PROG forms name a program in the kernel (kernel-forms.test.ts runs them).
  const id = await cli('prog', 'run', 'id', '4294967295', 'data_in', mixed);
  assert.equal(id.code, 255);
  assert.match(
    id.err,
    avail.ok ? /^Error: no program with id 4294967295\n$/ : /not supported: prog run id 4294967295/,
  );
});

for (const backend of ['vm', 'kernel'] as const) {
  test(`a verifier refusal prints the whole log, the source line and the states (${backend})`, {
    skip: backend === 'kernel' && !avail.ok ? avail.reason : false,
  }, async () => {
    const argv = [
      'prog',
      'run',
      'test/oob/oob.o',
      '--prog',
      'pkt_past_end',
      '--packet',
      '00'.repeat(60),
      '--backend',
      backend,
    ];
    const r = await cli(...argv);
    assert.equal(r.code, 255);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines[0], '-- BEGIN PROG LOAD LOG --');
    assert.match(r.err, /; return \*\(volatile __u8 \*\)\(data \+ 14\); \/\* FAULT \*\/ @ oob\.c:49/);
    assert.match(r.err, /5: \(71\) r0 = \*\(u8 \*\)\(r2 \+0\)\ninvalid access to packet/);
    assert.match(r.err, /R2=pkt\(off=14,r=14\)/);
    assert.match(r.err, /-- END PROG LOAD LOG --\nError: /);
    const json = JSON.parse((await cli(...argv, '--json')).out);
    assert.equal(json.code, 'VERIFIER_REJECTED');
    assert.match(json.log, /R2 offset is outside of the packet/);
    const load = await cli('prog', 'load', 'test/oob/oob.o', '--backend', backend);
    assert.equal(load.code, 255);
    assert.match(load.err, /-- BEGIN PROG LOAD LOG --/);
  });
}

test('the progress bar: drawn on a terminal, erased at the end; never without a TTY or with --json', () => {
  const draw = (tty: boolean, json: boolean) => {
    let err = '';
    const out = makeOutput(json, {
      out: () => {},
      err: (s) => {
        err += s;
      },
      tty,
    });
    const p = new Progress(out, 10, 'runs', 0);
    p.advance(4);
    p.finish();
    return err;
  };
  assert.equal(
    draw(true, false),
    `\r[${'#'.repeat(12)}${'.'.repeat(18)}]  40% 4/10 runs (Ctrl-C stops)\r\u001b[K`,
  );
  assert.equal(draw(false, false), '');
  assert.equal(draw(true, true), '');
});

test('Ctrl-C stops a long run cleanly: status 130, the runs done so far reported', async () => {
  const child = spawn(
    process.execPath,
    [join(root, 'bin/tsbpf.js'), 'prog', 'run', OBJ, '--packet', '00'.repeat(60), '--repeat', '4294967295'],
    { cwd: root },
  );
  let out = '';
  let started: () => void = () => {};
  const running = new Promise<void>((r) => {
    started = r;
  });
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('engine:')) started(); // loaded; the runs begin
  });
  await running;
  // Ctrl-C is caught from the header on; the wait lets the first slices of runs finish.
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 130, out);
  assert.match(out, /#0: 60 bytes -> XDP_PASS \(2\), packet unchanged \(\d+ of 4294967295 runs\)/);
  assert.match(out, /interrupted: 1 of 1 packet\(s\) run/);
});
