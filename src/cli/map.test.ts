import { runCli } from './test-cli.js';
// `tsbpf map` in bpftool's JSON shapes (recorded from bpftool v7.1.0 / libbpf 1.1 on this project's
// machine: `map dump -j` of a percpu_array gives [{"key": [...], "values": [{"cpu": 0, "value":
// [...]}, ...]}], of a hash [{"key": [...], "value": [...]}]; `map show -j` names bytes_key,
// bytes_value, max_entries, flags, frozen; `map lookup` of a missing key prints null under -j
// and exits 254), -p pretty JSON, and the note that changes to an object last one command.

import assert from 'node:assert/strict';
import { test } from 'node:test';

const cli = runCli;

const ARRAY = 'examples/xdp_count_array.v3.o';
const zeros = (n: number) => Array(n).fill('0x00');

test('map dump -j: per-CPU values as [{cpu, value}], plain maps as value', async () => {
  const percpu = JSON.parse((await cli('map', 'dump', ARRAY, 'l3_stats', '-j')).out);
  assert.equal(percpu.length, 4);
  assert.deepEqual(Object.keys(percpu[0]), ['key', 'values']);
  assert.deepEqual(percpu[1].key, ['0x01', '0x00', '0x00', '0x00']);
  assert.ok(percpu[0].values.length >= 1);
  percpu[0].values.forEach((v: { cpu: number; value: string[] }, k: number) => {
    assert.deepEqual(v, { cpu: k, value: zeros(16) });
  });
  const plain = JSON.parse((await cli('map', 'dump', ARRAY, 'proto_stats', '-j')).out);
  assert.deepEqual(plain[0], { key: zeros(4), value: zeros(16) });
  const text = (await cli('map', 'dump', ARRAY, 'l3_stats')).out;
  assert.match(text, /^key: 00 00 00 00\nvalue \(CPU 00\): (00 ){15}00\n/);
});

test('map show -j in bpftool field names; -p indents', async () => {
  const r = await cli('map', 'show', ARRAY, '-p');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\[\n {2}\{\n {4}"type": "percpu_array",/);
  assert.deepEqual(JSON.parse(r.out)[1], {
    type: 'array',
    name: 'proto_stats',
    flags: 0,
    bytes_key: 4,
    bytes_value: 16,
    max_entries: 256,
    frozen: 0,
  });
});

test('map lookup of a missing key: null / "Not found", status 254; update says it lasts one command', async () => {
  const hash = 'examples/xdp_count_hash.v3.o';
  const shown = JSON.parse((await cli('map', 'show', hash, '-j')).out) as {
    name: string;
    bytes_key: number;
  }[];
  const m = shown[0]!;
  const key = ['key', ...Array(m.bytes_key).fill('7')];
  const j = await cli('map', 'lookup', hash, m.name, ...key, '-j');
  assert.equal(j.code, 254);
  assert.equal(j.out, 'null\n');
  const t = await cli('map', 'lookup', hash, m.name, ...key);
  assert.equal(t.code, 254);
  assert.match(t.out, /Not found/);
  const u = await cli(
    'map',
    'update',
    ARRAY,
    'proto_stats',
    'key',
    '1',
    '0',
    '0',
    '0',
    'value',
    'hex',
    '00'.repeat(16),
  );
  assert.equal(u.code, 0, u.err);
  assert.match(u.out, /the change lasts for this command only/);
});
