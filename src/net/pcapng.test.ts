// pcapng: round trips, both byte orders, timestamp resolutions, the link-type refusal, and a
// written file read back by tshark when it is installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toolSkip } from '../../test/tools.js';
import { LoadError, NotSupportedError } from '../errors.js';
import { readPcapng, writePcapng } from './pcapng.js';
import { generateTraffic } from './traffic.js';

const frames = generateTraffic({ count: 5, size: [60, 99], start: 1_700_000_000_123_456_789n });
const capture = {
  interfaces: [
    { name: 'eth0', linkType: 1, snapLength: 262144 },
    { name: 'eth1', linkType: 1, snapLength: 262144 },
  ],
  packets: frames.map((f, i) => ({
    ...f,
    interface: i % 2,
    comment: `frame ${i}`,
    flags: 1,
    queue: i,
  })),
};

test('pcapng: what is written reads back (ns timestamps, comments, flags, queues, odd lengths)', () => {
  const back = readPcapng(writePcapng(capture));
  assert.deepEqual(back.interfaces, capture.interfaces);
  assert.deepEqual(back.packets, capture.packets);
});

/** A big-endian section with a µs interface (no if_tsresol) and one EPB and one SPB, by hand. */
function bigEndianFile(linkType: number): Uint8Array {
  const words = [
    ...[0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00010000, 0xffffffff, 0xffffffff, 28],
    ...[1, 20, (linkType << 16) | 0, 64, 20],
    // EPB: if 0, ts = 1_000_001 µs, 4 captured of 60, data ff ee dd cc
    ...[6, 36, 0, 0, 1_000_001, 4, 60, 0xffeeddcc, 36],
    // SPB: original 2 -> 2 bytes, padded
    ...[3, 20, 2, 0xabcd0000, 20],
  ];
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  for (const [i, w] of words.entries()) v.setUint32(i * 4, w, false);
  return out;
}

test('pcapng: a big-endian section with microsecond stamps and a simple packet block', () => {
  const r = readPcapng(bigEndianFile(1));
  assert.equal(r.packets.length, 2);
  assert.equal(r.packets[0]!.timestamp, 1_000_001_000n);
  assert.deepEqual([...r.packets[0]!.data], [0xff, 0xee, 0xdd, 0xcc]);
  assert.equal(r.packets[0]!.originalLength, 60);
  assert.deepEqual([...r.packets[1]!.data], [0xab, 0xcd]);
});

test('pcapng: non-Ethernet packets are refused by link-type name; corrupt files by position', () => {
  assert.throws(
    () => readPcapng(bigEndianFile(113)),
    (e) => e instanceof NotSupportedError && /LINUX_SLL/.test(e.message),
  );
  const good = writePcapng(capture);
  assert.throws(() => readPcapng(good.subarray(0, good.length - 3)), LoadError);
  const broken = good.slice();
  broken[good.length - 1]! ^= 1; // trailing length of the last block
  assert.throws(() => readPcapng(broken), /trailing length/);
  assert.throws(() => readPcapng(new Uint8Array(0)), LoadError);
});

test('pcapng: tshark reads the file (frames, interfaces, comments)', {
  skip: toolSkip('apt-get install tshark', 'tshark') ?? false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-pcapng-'));
  try {
    const file = join(dir, 'x.pcapng');
    writeFileSync(file, writePcapng(capture));
    const out = execFileSync(
      'tshark',
      [
        '-r',
        file,
        '-T',
        'fields',
        '-e',
        'frame.len',
        '-e',
        'frame.interface_name',
        '-e',
        'frame.comment',
        '-e',
        'ip.src',
        '-e',
        'udp.checksum.status',
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: dir } },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.equal(rows.length, 5);
    rows.forEach((r, i) => {
      assert.equal(Number(r[0]), frames[i]!.data.length);
      assert.equal(r[1], i % 2 === 0 ? 'eth0' : 'eth1');
      assert.equal(r[2], `frame ${i}`);
      assert.equal(r[3], '10.0.0.1');
    });
    // The generator's checksums, checked by tshark itself.
    const check = execFileSync(
      'tshark',
      [
        '-r',
        file,
        '-o',
        'udp.check_checksum:TRUE',
        '-o',
        'ip.check_checksum:TRUE',
        '-T',
        'fields',
        '-e',
        'udp.checksum.status',
        '-e',
        'ip.checksum.status',
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: dir } },
    );
    for (const line of check.trim().split('\n')) assert.deepEqual(line.split('\t'), ['1', '1'], 'Good (1)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
