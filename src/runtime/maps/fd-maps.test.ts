// Maps whose values are references: prog array, devmap, devmap hash, cpumap, xskmap. Errnos
// and walks against the kernel (real prog fds, ifindex 1 = lo); the reference checks and the
// accessors that bpf_tail_call and bpf_redirect_map will use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, keyList, keySet, pair, skip, u32, u64 } from '../../../test/gen/map-oracle.js';
import { type KernelProgram, loadProgram } from '../../kernel/program.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { CpuMap } from './cpumap.js';
import { createMap } from './create.js';
import { DevMap } from './devmap.js';
import { DevMapHash } from './devmap-hash.js';
import { ProgArrayMap } from './prog-array.js';
import { XskMap } from './xskmap.js';

test('prog array: errnos and walk as the kernel; ids stand for prog fds', () => {
  const progs: KernelProgram[] = [];
  if (!skip) {
    const insns = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 2; i++) progs.push(loadProgram({ type: 'SOCKET_FILTER', insns }));
  }
  using p = pair({ type: 'PROG_ARRAY', keySize: 4, valueSize: 4, maxEntries: 4 });
  // Ours takes ids 11 and 12; the kernel takes the fds. Same slot, same outcome.
  const val = (m: unknown, i: number) => (m === p.ours ? u32(11 + i) : u32(progs[i]?.fd ?? 0));
  p.same('lookup empty', (m) => m.lookup(u32(0)));
  p.same('update', (m) => m.update(u32(0), val(m, 0)));
  p.same('update flags', (m) => m.update(u32(1), val(m, 1), BPF_NOEXIST));
  p.same('update out of range', (m) => m.update(u32(4), val(m, 1)));
  p.same('present', (m) => (m.lookup(u32(0)) === undefined ? 'absent' : 'present'));
  p.same('delete empty', (m) => m.delete(u32(1)));
  p.same('delete out of range', (m) => m.delete(u32(9)));
  p.same('delete', (m) => m.delete(u32(0)));
  p.same('lookup deleted', (m) => m.lookup(u32(0)));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
  for (const prog of progs) prog.close();
  const pa = p.ours;
  assert.ok(pa instanceof ProgArrayMap);
  pa.update(u32(2), u32(42));
  assert.equal(pa.programAt(2), 42);
  assert.equal(pa.programAt(3), undefined);
  assert.equal(pa.lookupAddress(u32(2)), 0, 'programs cannot read a prog array');
  assert.throws(() => pa.update(u32(1), u32(0)), /EBADF/);
  using strict = createMap(
    new AddressSpace(),
    { type: 'PROG_ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 },
    {
      references: { program: (id) => id === 5 },
    },
  );
  assert.throws(() => strict.update(u32(0), u32(6)), /EBADF/);
  strict.update(u32(0), u32(5));
});

test('devmap: errnos, empty slots and walk as the kernel', () => {
  for (const valueSize of [4, 8]) {
    using p = pair({ type: 'DEVMAP', keySize: 4, valueSize, maxEntries: 4 });
    const v = (ifindex: number, prog = 0) =>
      valueSize === 4 ? u32(ifindex) : u64(BigInt(ifindex) | (BigInt(prog) << 32n));
    p.same('NOEXIST', (m) => m.update(u32(0), v(1), BPF_NOEXIST));
    p.same('ANY', (m) => m.update(u32(0), v(1), BPF_ANY));
    p.same('EXIST on empty', (m) => m.update(u32(1), v(1), BPF_EXIST));
    p.same('bad flags', (m) => m.update(u32(1), v(1), 3));
    p.same('out of range', (m) => m.update(u32(4), v(1)));
    p.same('ifindex 0 empties', (m) => m.update(u32(1), v(0)));
    if (valueSize === 8) p.same('program without device', (m) => m.update(u32(1), v(0, 3)));
    for (const k of [0, 1, 2, 9]) p.same(`lookup ${k}`, (m) => m.lookup(u32(k)));
    p.same('delete empty', (m) => m.delete(u32(2)));
    p.same('delete out of range', (m) => m.delete(u32(9)));
    if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
    const d = p.ours;
    assert.ok(d instanceof DevMap);
    assert.deepEqual(d.entry(0), { ifindex: 1, program: 0 });
    assert.equal(d.entry(1), undefined);
    const a = d.lookupAddress(u32(0));
    assert.equal(p.space.readU32(a), 1);
    assert.throws(() => p.space.writeU32(a, 2), /invalid write/, 'devmap values are read-only to programs');
  }
  using strict = createMap(
    new AddressSpace(),
    { type: 'DEVMAP', keySize: 4, valueSize: 4, maxEntries: 1 },
    {
      references: { device: (i) => i === 1 },
    },
  );
  assert.throws(() => strict.update(u32(0), u32(9999)), /EINVAL/);
});

test('devmap hash: quirks as the kernel (EXIST inserts, ifindex 0 EINVAL, E2BIG when full)', () => {
  using p = pair({ type: 'DEVMAP_HASH', keySize: 4, valueSize: 4, maxEntries: 2 });
  p.same('EXIST on missing inserts', (m) => m.update(u32(5), u32(1), BPF_EXIST));
  p.same('NOEXIST on present', (m) => m.update(u32(5), u32(1), BPF_NOEXIST));
  p.same('ifindex 0', (m) => m.update(u32(6), u32(0)));
  p.same('second', (m) => m.update(u32(6), u32(1)));
  p.same('full', (m) => m.update(u32(7), u32(1)));
  p.same('replace when full', (m) => m.update(u32(6), u32(1)));
  p.same('delete missing', (m) => m.delete(u32(9)));
  p.same('lookup', (m) => m.lookup(u32(5)));
  p.same('lookup missing', (m) => m.lookup(u32(9)));
  if (p.kern) assert.deepEqual(keySet(p.ours), keySet(p.kern));
  p.same('delete', (m) => m.delete(u32(5)));
  p.same('bad flags', (m) => m.update(u32(5), u32(1), 3));
  assert.ok(p.ours instanceof DevMapHash);
  assert.deepEqual(p.ours.entry(6), { ifindex: 1, program: 0 });
});

test('cpumap: qsize rules, CPU bounds and walk as the kernel', () => {
  using p = pair({ type: 'CPUMAP', keySize: 4, valueSize: 4, maxEntries: 4 });
  p.same('NOEXIST', (m) => m.update(u32(0), u32(64), BPF_NOEXIST));
  p.same('ANY', (m) => m.update(u32(0), u32(64)));
  p.same('no such CPU', (m) => m.update(u32(cpus), u32(64)));
  p.same('out of range', (m) => m.update(u32(4), u32(64)));
  p.same('qsize too big', (m) => m.update(u32(1), u32(16385)));
  p.same('qsize 0 empties', (m) => m.update(u32(1), u32(0)));
  p.same('EXIST', (m) => m.update(u32(1), u32(5), BPF_EXIST));
  for (const k of [0, 1, 2, 7]) p.same(`lookup ${k}`, (m) => m.lookup(u32(k)));
  p.same('delete empty', (m) => m.delete(u32(3)));
  p.same('delete out of range', (m) => m.delete(u32(9)));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
  assert.ok(p.ours instanceof CpuMap);
  assert.deepEqual(p.ours.entry(1), { qsize: 5, program: 0 });
});

test('xskmap: no syscall lookup, bounds and walk as the kernel; sockets by id', () => {
  using p = pair({ type: 'XSKMAP', keySize: 4, valueSize: 4, maxEntries: 4 });
  p.same('lookup', (m) => m.lookup(u32(0)));
  p.same('out of range', (m) => m.update(u32(4), u32(1)));
  p.same('bad flags', (m) => m.update(u32(0), u32(1), 3));
  p.same('delete', (m) => m.delete(u32(0)));
  p.same('delete out of range', (m) => m.delete(u32(9)));
  if (p.kern) assert.deepEqual(keyList(p.ours), keyList(p.kern));
  const x = p.ours;
  assert.ok(x instanceof XskMap);
  assert.throws(() => x.update(u32(0), u32(1), BPF_EXIST), /ENOENT/);
  x.update(u32(0), u32(1), BPF_NOEXIST);
  assert.throws(() => x.update(u32(0), u32(2), BPF_NOEXIST), /EEXIST/);
  assert.equal(x.socketAt(0), 1);
  assert.notEqual(x.lookupAddress(u32(0)), 0);
  assert.equal(x.lookupAddress(u32(1)), 0);
  assert.throws(() => x.update(u32(1), u32(0)), /EBADF/);
});
