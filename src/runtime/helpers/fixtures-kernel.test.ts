// Callback and ring-buffer helpers against the kernel, through the C fixture
// test/fixtures/helpers/callbacks.o (callbacks need BTF func_info, so these are compiled, not
// assembled): the same object is loaded into the kernel (kernel/collection.ts) and the VM, .bss
// inputs are set in both, and after each run the .bss results and map contents must be equal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { loadCollectionSpec } from '../../elf/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';
import type { LoadedMap, LoadedProgram } from '../backend.js';
import { RingBufMap } from '../maps/ringbuf.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const root = new URL('../../../../', import.meta.url);
const spec = () =>
  loadCollectionSpec(new Uint8Array(readFileSync(new URL('test/fixtures/helpers/callbacks.o', root))));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const frame = new Uint8Array(60).fill(1);

/** What the tests use of either backend's collection. */
interface Collection {
  program(name: string): LoadedProgram;
  map(name: string): LoadedMap;
}

interface Cfg {
  nr?: number;
  stopAt?: number;
  flags?: bigint;
  size?: number;
  discard?: number;
}

/** Writes `cfg` into .bss and zeroes `out` (offsets from the spec's variables). */
function setCfg(c: Collection, cfg: Cfg): void {
  const s = spec();
  const at = (name: string) => s.variables.find((v) => v.name === name)!.offset;
  const bss = new Uint8Array(s.maps.find((m) => m.name === '.bss')!.valueSize);
  const v = new DataView(bss.buffer);
  const base = at('cfg');
  v.setUint32(base, cfg.nr ?? 0, true);
  v.setUint32(base + 4, cfg.stopAt ?? 0xffffffff, true);
  v.setBigUint64(base + 8, cfg.flags ?? 0n, true);
  v.setUint32(base + 16, cfg.size ?? 0, true);
  v.setUint32(base + 20, cfg.discard ?? 0, true);
  c.map('.bss').update(u32(0), bss);
}

function both(f: (c: Collection, which: 'kernel' | 'vm') => void): void {
  using k = loadKernel(spec());
  using v = load(spec());
  f(k, 'kernel');
  f(v, 'vm');
}

test('bpf_loop: counts, early stop, flags and the BPF_MAX_LOOPS limit as the kernel', { skip }, () => {
  const cases: Cfg[] = [
    { nr: 0 },
    { nr: 1 },
    { nr: 10 },
    { nr: 10, stopAt: 3 },
    { nr: 10, stopAt: 0 },
    { nr: 10, flags: 1n },
    { nr: 10, flags: 1n << 40n },
    { nr: 1 << 23, stopAt: 5 },
    { nr: (1 << 23) + 1 },
    { nr: 0xffffffff },
    { nr: 1 << 16, stopAt: 40000 },
  ];
  const results: Record<string, string[]> = { kernel: [], vm: [] };
  both((c, which) => {
    for (const cfg of cases) {
      setCfg(c, cfg);
      assert.equal(c.program('loop_limits').run({ data: frame }).retval, 2);
      results[which]!.push(Buffer.from(c.map('.bss').lookup(u32(0))!).toString('hex'));
    }
  });
  assert.deepEqual(results.vm, results.kernel);
  assert.equal(results.vm!.length, cases.length);
});

test('bpf_for_each_map_elem over HASH and ARRAY: visits, early stop, writes through value, flags', {
  skip,
}, () => {
  const results: Record<string, string[]> = { kernel: [], vm: [] };
  both((c, which) => {
    for (let k = 0; k < 8; k++) c.map('a').update(u32(k), u64(BigInt(k * k)));
    for (const prog of ['walk_hash', 'walk_array']) {
      for (const cfg of [{}, { stopAt: 1 }, { stopAt: 3 }, { flags: 1n }, {}]) {
        // Fresh hash values each time: which elements an early stop doubles depends on the order.
        for (let k = 0; k < 5; k++) c.map('h').update(u32(k * 7 + 1), u64(BigInt(100 + k)));
        setCfg(c, cfg);
        c.program(prog).run({ data: frame });
        const bss = c.map('.bss').lookup(u32(0))!;
        // Hash walk order differs (the kernel's buckets are seeded at random): with an early stop
        // compare only the count and return value; full walks also the sum.
        const dv = new DataView(bss.buffer, bss.byteOffset);
        const out = spec().variables.find((x) => x.name === 'out')!.offset;
        const full = cfg.stopAt === undefined || prog === 'walk_array';
        results[which]!.push(
          `${prog} ${JSON.stringify(cfg, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}: ret ${dv.getBigInt64(out, true)} count ${dv.getBigUint64(out + 8, true)}${full ? ` sum ${dv.getBigUint64(out + 16, true)}` : ''}`,
        );
      }
    }
    const values = [...Array(8).keys()].map((k) => Buffer.from(c.map('a').lookup(u32(k))!).toString('hex'));
    results[which]!.push(values.join(','));
  });
  assert.deepEqual(results.vm, results.kernel);
});

test('ring buffer: reserve/submit/discard/output and every query value as the kernel', { skip }, () => {
  const cases: Cfg[] = [
    { size: 8 },
    { size: 8, discard: 1 },
    { size: 0 },
    { size: 13 },
    { size: 8, flags: 2n },
    { size: 8, flags: 4n },
    ...Array.from({ length: 140 }, () => ({ size: 24 })),
  ];
  const results: Record<string, string[]> = { kernel: [], vm: [] };
  both((c, which) => {
    for (const cfg of cases) {
      setCfg(c, cfg);
      c.program('ring_ops').run({ data: frame });
      results[which]!.push(Buffer.from(c.map('.bss').lookup(u32(0))!).toString('hex'));
    }
  });
  assert.deepEqual(results.vm, results.kernel);
  // The VM's records, consumed as libbpf would: submitted ones in order, discarded ones skipped.
  using v = load(spec());
  for (const cfg of cases.slice(0, 4)) {
    setCfg(v, cfg);
    v.program('ring_ops').run({ data: frame });
  }
  const rb = v.map('rb').map;
  assert.ok(rb instanceof RingBufMap);
  const records = rb.consume().map((r) => Buffer.from(r).toString('hex'));
  assert.deepEqual(records, [
    `8877665544332211${'08'.padEnd(16, '0')}`,
    '0100000000000000',
    '0100000000000000',
    `8877665544332211${'00'.padEnd(16, '0')}`,
    '',
    `8877665544332211${'0d'.padEnd(16, '0')}`,
    '01000000000000000200000000',
  ]);
});
