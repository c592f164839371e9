import { runCli } from './test-cli.js';
// bpftool's PROG and MAP forms on the running kernel (`id N`, `pinned PATH`, `name NAME`): the
// CLI opens a program and maps this test loaded and prints what bpftool prints — `map show`,
// `map dump` (with BTF's "formatted") and `prog show` compared with bpftool itself where it is
// installed — and runs, dumps, pins, looks up and updates them. Skips where bpf() is refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bpffsSkip, privateBpffs } from '../../test/control/bpffs.js';
import { loadCollectionSpec } from '../index.js';
import { bpfAvailability, createMap, type KernelCollection, loadKernel } from '../kernel/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const avail = bpfAvailability();
const skip = avail.ok ? undefined : avail.reason;

const cli = runCli;

function bpftool(...args: string[]): string | undefined {
  try {
    return execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function loaded(): KernelCollection {
  const coll = loadKernel(loadCollectionSpec(readFileSync(join(root, 'examples/xdp_count_array.v3.o'))));
  coll.programs.get('xdp_count_array')!.run({ data: readFileSync(join(root, 'test/packets/ipv4_udp.bin')) });
  return coll;
}

test('map show / dump / lookup / update by id, as bpftool prints them', { skip }, async (t) => {
  using coll = loaded();
  const array = String(coll.maps.get('proto_stats')!.kernel.id);
  const percpu = String(coll.maps.get('l3_stats')!.kernel.id);
  const show = await cli('map', 'show', 'id', array, '-j');
  assert.equal(show.code, 0, show.err);
  const row = JSON.parse(show.out);
  assert.equal(row.name, 'proto_stats');
  assert.equal(row.bytes_value, 16);
  const dump = await cli('map', 'dump', 'id', array, '-j');
  assert.equal(dump.code, 0, dump.err);
  const entries = JSON.parse(dump.out);
  assert.equal(entries.length, 256);
  assert.deepEqual(entries[17].formatted, { key: 17, value: { packets: 1, bytes: 52 } });
  const perCpu = JSON.parse((await cli('map', 'dump', 'id', percpu, '-j')).out);
  assert.deepEqual(Object.keys(perCpu[1].formatted), ['key', 'values']);
  const tool = bpftool('version');
  if (tool === undefined) t.diagnostic('bpftool is not installed: shapes checked without it');
  else {
    for (const args of [
      ['map', 'show', 'id', array],
      ['map', 'dump', 'id', array],
      ['map', 'dump', 'id', percpu],
      ['map', 'lookup', 'id', array, 'key', '17', '0', '0', '0'],
    ])
      assert.deepEqual(
        JSON.parse((await cli(...args, '-j')).out),
        JSON.parse(bpftool(...args, '-j')!),
        args.join(' '),
      );
    const prog = String(coll.programs.get('xdp_count_array')!.kernel.id);
    const ours = JSON.parse((await cli('prog', 'show', 'id', prog, '-j')).out);
    const theirs = JSON.parse(bpftool('prog', 'show', 'id', prog, '-j')!);
    assert.ok(Math.abs(ours.loaded_at - theirs.loaded_at) <= 1, 'loaded_at within a second');
    assert.deepEqual({ ...ours, loaded_at: 0 }, { ...theirs, loaded_at: 0 });
  }
  // A change through the CLI is a change of the kernel's map.
  const update = await cli(
    'map',
    'update',
    'id',
    array,
    'key',
    '6',
    '0',
    '0',
    '0',
    'value',
    'hex',
    '0700000000000000',
    '0000000000000000',
  );
  assert.equal(update.code, 0, update.err);
  assert.doesNotMatch(update.out, /lasts for this command only/);
  assert.equal(coll.maps.get('proto_stats')!.lookup(Uint8Array.of(6, 0, 0, 0))![0], 7);
});

test('prog show / dump xlated / run / pin by id, pinned and name', {
  skip: skip ?? bpffsSkip(),
}, async () => {
  using coll = loaded();
  using fs = privateBpffs('c11');
  const id = String(coll.programs.get('xdp_count_array')!.kernel.id);
  const show = await cli('prog', 'show', 'id', id);
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, new RegExp(`^${id}: xdp  name xdp_count_array  tag [0-9a-f]{16}  gpl`));
  const xlated = await cli('prog', 'dump', 'xlated', 'id', id);
  assert.equal(xlated.code, 0, xlated.err);
  assert.match(xlated.out, /^ {3}0: \(79\) r6 = \*\(u64 \*\)\(r1 \+8\)$/m);
  const pin = join(fs.path, 'c11prog');
  assert.equal((await cli('prog', 'pin', 'id', id, pin)).code, 0);
  const run = await cli(
    'prog',
    'run',
    'pinned',
    pin,
    'data_in',
    join(root, 'test/packets/ipv4_udp.bin'),
    'repeat',
    '3',
    '-j',
  );
  assert.equal(run.code, 0, run.err);
  const report = JSON.parse(run.out);
  assert.equal(report.runs[0].verdict, 'XDP_PASS');
  assert.equal(report.backend, 'kernel');
  assert.deepEqual(
    report.maps.proto_stats[0].after.slice(0, 1),
    ['0x04'],
    '1 + 3 runs counted in the kernel map',
  );
  // name: a map made here with a name no one else has.
  const name = `c11m${process.pid % 100000}`;
  using m = createMap({ type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 4, name });
  m.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(9, 0, 0, 0));
  const lookup = await cli('map', 'lookup', 'name', name, 'key', '1', '0', '0', '0', '-j');
  assert.equal(lookup.code, 0, lookup.err);
  assert.deepEqual(JSON.parse(lookup.out), {
    key: ['0x01', '0x00', '0x00', '0x00'],
    value: ['0x09', '0x00', '0x00', '0x00'],
  });
  const missing = await cli('map', 'lookup', 'name', name, 'key', '2', '0', '0', '0');
  assert.equal(missing.code, 254);
  const wrong = await cli('prog', 'run', 'id', id, 'data_in', 'x.pcap', '--map-init', 'f.json');
  assert.equal(wrong.code, 255);
  assert.match(wrong.err, /--map-init is for an object file/);
});

test('bpftool forms that are not built say so; a missing object is one line', { skip }, async () => {
  const tag = await cli('prog', 'show', 'tag', '0123456789abcdef');
  assert.equal(tag.code, 255);
  assert.match(tag.err, /by tag/);
  const none = await cli('map', 'show', 'id', '4294967295');
  assert.equal(none.code, 255);
  assert.match(none.err, /^Error: no map with id 4294967295\n$/);
  const jited = await cli('prog', 'dump', 'jited', 'id', '1');
  assert.equal(jited.code, 255);
  assert.match(jited.err, /prog dump jited/);
});
