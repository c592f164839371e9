// LPM trie: longest-prefix match with overlapping IPv4 and IPv6 prefixes, update/delete errnos,
// and get_next_key order, all against the kernel's trie (the walk order is the kernel's exactly).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyList, pair, u32 } from '../../../test/gen/map-oracle.js';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_PREALLOC, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';

const v4 = (prefixlen: number, ip: string): Uint8Array => {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(0, prefixlen, true);
  k.set(ip.split('.').map(Number), 4);
  return k;
};
const v6 = (prefixlen: number, words: number[]): Uint8Array => {
  const k = new Uint8Array(20);
  const dv = new DataView(k.buffer);
  dv.setUint32(0, prefixlen, true);
  for (const [i, w] of words.entries()) dv.setUint16(4 + 2 * i, w, false);
  return k;
};

test('LPM v4: overlapping prefixes, longest match, errnos and walk order as the kernel', () => {
  using p = pair({ type: 'LPM_TRIE', keySize: 8, valueSize: 4, maxEntries: 8, flags: BPF_F_NO_PREALLOC });
  p.same('empty lookup', (m) => m.lookup(v4(32, '10.1.2.3')));
  p.same('empty next', (m) => m.nextKey());
  p.same('EXIST on missing', (m) => m.update(v4(8, '10.0.0.0'), u32(1), BPF_EXIST));
  const routes: [number, string, number][] = [
    [8, '10.0.0.0', 1],
    [16, '10.1.0.0', 2],
    [24, '10.1.2.0', 3],
    [24, '10.1.3.0', 4],
    [0, '0.0.0.0', 5],
    [32, '10.1.2.3', 6],
    [12, '192.160.0.0', 7],
  ];
  for (const [len, ip, v] of routes)
    p.same(`add ${ip}/${len}`, (m) => m.update(v4(len, ip), u32(v), BPF_NOEXIST));
  p.same('NOEXIST on present', (m) => m.update(v4(16, '10.1.0.0'), u32(9), BPF_NOEXIST));
  p.same('prefix too long', (m) => m.update(v4(33, '10.1.0.0'), u32(9)));
  p.same('bad flags', (m) => m.update(v4(8, '10.0.0.0'), u32(9), 4));
  p.same('full', (m) => m.update(v4(20, '172.16.0.0'), u32(9)));
  for (const ip of [
    '10.1.2.3',
    '10.1.2.4',
    '10.1.3.9',
    '10.1.4.1',
    '10.2.0.0',
    '11.0.0.0',
    '192.168.1.1',
    '192.176.0.0',
  ])
    p.same(`match ${ip}`, (m) => m.lookup(v4(32, ip)));
  p.same('lookup limited by key prefixlen', (m) => m.lookup(v4(12, '10.1.2.3')));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
  p.same('next of a missing key', (m) => m.nextKey(v4(20, '10.1.0.0')));
  p.same('next of a bad prefixlen', (m) => m.nextKey(v4(40, '10.1.0.0')));
  p.same('delete inexact', (m) => m.delete(v4(16, '10.1.2.0')));
  p.same('delete bad prefixlen', (m) => m.delete(v4(33, '10.1.2.0')));
  for (const [len, ip] of [
    [16, '10.1.0.0'],
    [24, '10.1.3.0'],
    [0, '0.0.0.0'],
  ] as const) {
    p.same(`delete ${ip}/${len}`, (m) => m.delete(v4(len, ip)));
    if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern), `walk after deleting ${ip}/${len}`);
    for (const ip2 of ['10.1.2.3', '10.1.3.9', '10.9.9.9', '8.8.8.8'])
      p.same(`match ${ip2} after delete`, (m) => m.lookup(v4(32, ip2)));
  }
  p.same('re-add into an intermediate node', (m) => m.update(v4(16, '10.1.0.0'), u32(22), BPF_ANY));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
});

test('LPM v6: overlapping prefixes and a random workload agree with the kernel', () => {
  using p = pair({ type: 'LPM_TRIE', keySize: 20, valueSize: 8, maxEntries: 64, flags: BPF_F_NO_PREALLOC });
  const val = (n: number) => new Uint8Array(8).fill(n);
  p.same('/32', (m) => m.update(v6(32, [0x2001, 0xdb8]), val(1)));
  p.same('/48', (m) => m.update(v6(48, [0x2001, 0xdb8, 0x1]), val(2)));
  p.same('/64', (m) => m.update(v6(64, [0x2001, 0xdb8, 0x1, 0x2]), val(3)));
  p.same('/128', (m) => m.update(v6(128, [0x2001, 0xdb8, 0x1, 0x2, 0, 0, 0, 1]), val(4)));
  for (const a of [
    [0x2001, 0xdb8, 0x1, 0x2, 0, 0, 0, 1],
    [0x2001, 0xdb8, 0x1, 0x2, 0, 0, 0, 2],
    [0x2001, 0xdb8, 0x1, 0x3],
    [0x2001, 0xdb8, 0x2],
    [0x2001, 0xdb9],
  ])
    p.same(`match ${a.map((x) => x.toString(16)).join(':')}`, (m) => m.lookup(v6(128, a)));
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  for (let i = 0; i < 400; i++) {
    const words = [0x2001, 0xdb8, rnd(4), rnd(3) * 0x4000, rnd(2)];
    const key = v6(rnd(81), words);
    const op = rnd(4);
    if (op === 0) p.same(`#${i} lookup`, (m) => m.lookup(v6(128, words)));
    else if (op === 1) p.same(`#${i} delete`, (m) => m.delete(key));
    else {
      const f = rnd(3);
      p.same(`#${i} update ${f}`, (m) => m.update(key, val(i & 0xff), f));
    }
  }
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
});

test('LPM program side: lookup returns the value address of the longest match', () => {
  const space = new AddressSpace();
  using m = createMap(space, {
    type: 'LPM_TRIE',
    keySize: 8,
    valueSize: 4,
    maxEntries: 4,
    flags: BPF_F_NO_PREALLOC,
  });
  assert.equal(m.updateElem(v4(8, '10.0.0.0'), u32(1), BPF_ANY), 0);
  assert.equal(m.updateElem(v4(24, '10.0.0.0'), u32(2), BPF_ANY), 0);
  const a = m.lookupAddress(v4(32, '10.0.0.77'));
  assert.equal(space.readU32(a), 2);
  space.writeU32(a, 20);
  assert.deepEqual(m.lookup(v4(32, '10.0.0.1')), u32(20));
  assert.equal(space.readU32(m.lookupAddress(v4(32, '10.9.0.1'))), 1);
  assert.equal(m.lookupAddress(v4(32, '11.0.0.1')), 0);
  assert.equal(m.deleteElem(v4(24, '10.0.0.0')), 0);
  assert.equal(space.readU32(m.lookupAddress(v4(32, '10.0.0.77'))), 1);
});
