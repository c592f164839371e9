// Dynptrs against the kernel, through the C fixture test/fixtures/helpers/dynptr.o: each program
// is loaded into the kernel and into the VM (the engine under test: the interpreter, and the JIT
// whose helper imports serve the dynptr helpers and kfuncs), run on the same packets, and every
// return value it stored in `out` (.bss), the packet out and the ring buffer must be equal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { loadCollectionSpec } from '../../elf/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';
import type { CollectionSpec } from '../../program/index.js';
import type { LoadedMap, LoadedProgram } from '../backend.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const root = new URL('../../../../', import.meta.url);
const spec = (): CollectionSpec =>
  loadCollectionSpec(new Uint8Array(readFileSync(new URL('test/fixtures/helpers/dynptr.o', root))));
const only = (name: string): CollectionSpec => {
  const s = spec();
  return { ...s, programs: s.programs.filter((p) => p.name === name) };
};
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

interface Collection {
  program(name: string): LoadedProgram;
  map(name: string): LoadedMap;
}

/** A frame whose bytes count up from 1 (an IPv4 ethertype at 12, so every backend takes it as is). */
function frame(size: number): Uint8Array {
  const f = new Uint8Array(size).map((_, k) => (k + 1) & 0xff);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

/** .bss as `out[0..n)` (signed) and `at`. */
function outs(c: Collection, n: number): bigint[] {
  const bss = c.map('.bss').lookup(u32(0))!;
  const v = new DataView(bss.buffer, bss.byteOffset, bss.byteLength);
  return Array.from({ length: n }, (_, k) => v.getBigInt64(k * 8, true));
}

function setAt(c: Collection, at: number): void {
  const s = spec();
  const bss = new Uint8Array(s.maps.find((m) => m.name === '.bss')!.valueSize);
  new DataView(bss.buffer).setUint32(s.variables.find((x) => x.name === 'at')!.offset, at, true);
  c.map('.bss').update(u32(0), bss);
}

/** Runs `f` on the kernel's and the VM's collection of `name`; returns both results. */
function both<T>(name: string, f: (c: Collection) => T): { kernel: T; vm: T } {
  using k = loadKernel(only(name));
  using v = load(only(name));
  return { kernel: f(k), vm: f(v) };
}

const E2BIG = -7n;
const EINVAL = -22n;
const ERANGE = -34n;

test('xdp dynptrs: from_xdp, size, read, slice, write, clone, adjust and their errnos as the kernel', {
  skip,
}, () => {
  const r = both('xdp_dynptr', (c) => {
    const run = c.program('xdp_dynptr').run({ data: frame(64) });
    return { retval: run.retval, out: outs(c, 21), data: Buffer.from(run.data).toString('hex') };
  });
  assert.deepEqual(r.vm, r.kernel);
  // The kernel's answers, spelled out so that both backends agreeing on nonsense would show.
  const o = r.kernel.out;
  assert.deepEqual([o[0], o[1], o[4], o[5], o[8]], [0n, 64n, E2BIG, EINVAL, EINVAL]);
  assert.deepEqual([o[10], o[11], o[14], o[15], o[18], o[19]], [0n, 8n, EINVAL, ERANGE, EINVAL, 1n]);
  assert.equal(o[20], 0xffffffean); // bpf_dynptr_size of a NULL dynptr: -EINVAL as a u32
  assert.match(r.kernel.data, /^aabb/);
});

test('xdp dynptrs over a multi-buffer packet: reads, slices and writes across the fragments', {
  skip,
}, () => {
  const data = frame(9000);
  for (const at of [100, 3000, 4092, 4200, 8990, 8992]) {
    const r = both('xdp_frags', (c) => {
      setAt(c, at);
      const run = c.program('xdp_frags').run({ data });
      return { at, retval: run.retval, out: outs(c, 8), data: Buffer.from(run.data).toString('hex') };
    });
    assert.deepEqual(r.vm, r.kernel);
  }
});

test('bpf_dynptr_slice_rdwr writes through into the packet (the VM; this kernel refuses the kfunc)', () => {
  // Linux 6.18 as built here refuses every program calling bpf_dynptr_slice_rdwr at load (EPERM,
  // "bpf_dynptr_slice_rdwr() is not allowed"), from C as from assembly; where a kernel takes it,
  // the VM's packet must be the kernel's.
  let kernel: string | undefined;
  if (avail.ok) {
    try {
      using k = loadKernel(only('xdp_rdwr'));
      kernel = Buffer.from(k.program('xdp_rdwr').run({ data: frame(64) }).data).toString('hex');
    } catch (e) {
      assert.match(
        String((e as { log?: string }).log ?? e),
        /bpf_dynptr_slice_rdwr\(\) is not allowed|EPERM/,
      );
    }
  }
  using v = load(only('xdp_rdwr'));
  const run = v.program('xdp_rdwr').run({ data: frame(64) });
  assert.equal(run.retval, 2);
  const data = Buffer.from(run.data).toString('hex');
  assert.equal(data.slice(0, 28), `42${Buffer.from(frame(64).subarray(1, 12)).toString('hex')}0843`);
  if (kernel !== undefined) assert.equal(data, kernel);
});

test('skb dynptrs: from_skb, a slice without a buffer, write flags, skb_meta as the kernel', { skip }, () => {
  const r = both('tc_dynptr', (c) => {
    const run = c.program('tc_dynptr').run({ data: frame(60) });
    return { retval: run.retval, out: outs(c, 13), data: Buffer.from(run.data).toString('hex') };
  });
  assert.deepEqual(r.vm, r.kernel);
  const o = r.kernel.out;
  assert.deepEqual([o[0], o[1], o[2], o[3], o[4]], [0n, 60n, 0x0800n, EINVAL, 0n]);
});

test('skb dynptrs in a socket filter: read-only, from the network header, sliced into a buffer', {
  skip,
}, () => {
  const r = both('sock_dynptr', (c) => {
    const run = c.program('sock_dynptr').run({ data: frame(60) });
    return { retval: run.retval, out: outs(c, 7) };
  });
  assert.deepEqual(r.vm, r.kernel);
  const o = r.kernel.out;
  assert.deepEqual([o[0], o[1], o[2], o[3]], [0n, 46n, 1n, EINVAL]);
});

test('local dynptrs over a map value: from_mem flags, write, read, data in and out of range', {
  skip,
}, () => {
  const r = both('local_dynptr', (c) => {
    const run = c.program('local_dynptr').run({ data: frame(60) });
    const value = Buffer.from(c.map('scratch').lookup(u32(0))!).toString('hex');
    return { retval: run.retval, out: outs(c, 12), value };
  });
  assert.deepEqual(r.vm, r.kernel);
  const o = r.kernel.out;
  assert.deepEqual(
    [o[0], o[1], o[2], o[4], o[5], o[7]],
    [0n, EINVAL, 1n, E2BIG, EINVAL, 0x1122334455667788n],
  );
});

test('ring-buffer dynptrs: reserve (flags, too big), write, submit, discard, query as the kernel', {
  skip,
}, () => {
  const r = both('ring_dynptr', (c) => {
    const outs1 = outs(c, 11);
    c.program('ring_dynptr').run({ data: frame(60) });
    const first = outs(c, 11);
    c.program('ring_dynptr').run({ data: frame(60) });
    return { before: outs1, first, second: outs(c, 11) };
  });
  assert.deepEqual(r.vm, r.kernel);
  const o = r.kernel.first;
  assert.deepEqual([o[0], o[1], o[2], o[4], o[5]], [0n, 0n, E2BIG, EINVAL, 1n]);
});
