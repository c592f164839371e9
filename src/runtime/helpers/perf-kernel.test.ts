// bpf_perf_event_output against the kernel through test/fixtures/helpers/perf_output.o (XDP, tc,
// socket filter): return values for every flag case (slot, BPF_F_CURRENT_CPU, another CPU, packet
// bytes via BPF_F_CTXLEN_MASK, bad flags, a full ring) and the samples, read from real perf rings
// (perf_event_open + mmap through koffi) and from the VM's buffers. The thread is pinned to CPU 0.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import koffi from 'koffi';
import { loadUnderTest as load } from '../../../test/engines.js';
import { allowedCpus, pinThread } from '../../../test/parity/affinity.js';
import { loadCollectionSpec } from '../../elf/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/collection.js';
import { possibleCpuCount } from '../../kernel/map.js';
import type { LoadedMap, LoadedProgram } from '../backend.js';
import { PerfEventArrayMap, type PerfRecord } from '../maps/perf-event-array.js';

const avail = bpfAvailability();
const cpus = avail.ok ? possibleCpuCount() : 2;
/** The CPU both runs are pinned to: the first this process may use (not always CPU 0 in a cpuset). */
const home = () => allowedCpus()[0] ?? 0;
const skip = !avail.ok
  ? avail.reason
  : cpus < 2
    ? 'needs two CPUs'
    : process.arch !== 'x64'
      ? 'x86-64 only'
      : false;
const root = new URL('../../../../', import.meta.url);
const spec = () =>
  loadCollectionSpec(new Uint8Array(readFileSync(new URL('test/fixtures/helpers/perf_output.o', root))));
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const frame = Uint8Array.from({ length: 60 }, (_, k) => 0xa0 + k);
const PAGES = 2;

/** Linux x86-64 pieces used only here: perf_event_open(2), mmap(2). */
const libc = skip ? undefined : koffi.load('libc.so.6');
const sys = libc && {
  syscall: libc.func('long syscall(long nr, ...)') as (...a: unknown[]) => number | bigint,
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  close: libc.func('int close(int fd)'),
};

interface Ring {
  readonly fd: number;
  readonly base: unknown;
  readonly len: number;
  /** Where the next unread record starts (data_tail). */
  tail: number;
}

/** A PERF_COUNT_SW_BPF_OUTPUT event on `cpu` with PERF_SAMPLE_RAW, as libbpf's perf_buffer opens it. */
function openRing(cpu: number): Ring {
  const attr = new Uint8Array(64);
  const v = new DataView(attr.buffer);
  v.setUint32(0, 1, true); // PERF_TYPE_SOFTWARE
  v.setUint32(4, 64, true); // PERF_ATTR_SIZE_VER0
  v.setBigUint64(8, 10n, true); // PERF_COUNT_SW_BPF_OUTPUT
  v.setBigUint64(16, 1n, true); // sample_period
  v.setBigUint64(24, 1n << 10n, true); // PERF_SAMPLE_RAW
  v.setUint32(48, 1, true); // wakeup_events
  const fd = Number(sys!.syscall(298, 'void *', attr, 'int', -1, 'int', cpu, 'int', -1, 'ulong', 8));
  if (fd < 0) throw new Error(`perf_event_open: errno ${koffi.errno()}`);
  const len = (1 + PAGES) * 4096;
  const base = sys!.mmap(null, len, 3, 1, fd, 0);
  return { fd, base, len, tail: 0 };
}

/**
 * The records in the ring from `r.tail` to data_head, as hex of a sample's raw data or
 * `lost N` (PERF_RECORD_SAMPLE 9, PERF_RECORD_LOST 2); then data_tail moves past them.
 */
function consume(r: Ring): string[] {
  const page = new DataView(koffi.view(r.base, r.len));
  const head = Number(page.getBigUint64(1024, true));
  const size = PAGES * 4096;
  const byte = (at: number) => page.getUint8(4096 + (at % size));
  const bytes = (at: number, n: number) => Uint8Array.from({ length: n }, (_, k) => byte(at + k));
  const word = (at: number) => new DataView(bytes(at, 8).buffer);
  const out: string[] = [];
  for (let at = r.tail; at < head; ) {
    const h = word(at);
    const type = h.getUint32(0, true);
    if (type === 9) out.push(hex(bytes(at + 12, word(at + 8).getUint32(0, true))));
    else if (type === 2) out.push(`lost ${word(at + 16).getBigUint64(0, true)}`);
    at += h.getUint16(6, true);
  }
  page.setBigUint64(1032, BigInt(head), true);
  r.tail = head;
  return out;
}

/** The VM's records in the same form. */
function vmRecords(records: readonly PerfRecord[]): string[] {
  return records.map((x) => (x.type === 'sample' ? hex(x.data) : `lost ${x.lost}`));
}

function closeRing(r: Ring): void {
  sys!.munmap(r.base, r.len);
  sys!.close(r.fd);
}

interface Collection {
  program(name: string): LoadedProgram;
  map(name: string): LoadedMap;
}

/** Writes cfg { flags, size, payload } into .bss and zeroes out. */
function setCfg(c: Collection, flags: bigint, size: number): void {
  const s = spec();
  const bssSpec = s.maps.find((m) => m.name === '.bss')!;
  const at = (name: string) => s.variables.find((v) => v.name === name)!.offset;
  const bss = new Uint8Array(bssSpec.valueSize);
  const v = new DataView(bss.buffer);
  v.setBigUint64(at('cfg'), flags, true);
  v.setUint32(at('cfg') + 8, size, true);
  for (let k = 0; k < 64; k++) bss[at('cfg') + 16 + k] = k + 1;
  c.map('.bss').update(u32(0), bss);
}

function ret(c: Collection): bigint {
  const s = spec();
  const bss = c.map('.bss').lookup(u32(0))!;
  return new DataView(bss.buffer, bss.byteOffset).getBigInt64(
    s.variables.find((v) => v.name === 'out')!.offset,
    true,
  );
}

const CURRENT = 0xffffffffn;
const ctxlen = (n: number) => BigInt(n) << 32n;
/** [flags, size]: each slot, the current CPU, packet bytes, too many packet bytes, bad flag bits, past max_entries. */
const CASES: [bigint, number][] = [
  [CURRENT, 8],
  [CURRENT, 0],
  [CURRENT, 13],
  [CURRENT, 64],
  [0n, 4],
  [1n, 4],
  [BigInt(cpus), 4],
  [CURRENT | ctxlen(14), 8],
  [CURRENT | ctxlen(60), 3],
  [CURRENT | ctxlen(46), 1],
  [CURRENT | ctxlen(47), 1],
  [CURRENT | ctxlen(61), 8],
  [CURRENT | ctxlen(0xfffff), 8],
  [CURRENT | (1n << 52n), 8],
  [1n << 63n, 8],
  [0x7fffffffn, 8],
];

test('bpf_perf_event_output: return values and samples as the kernel (XDP, tc, socket filter)', {
  skip,
}, () => {
  const pinned = home();
  const unpin = pinThread([pinned]);
  const rings = Array.from({ length: cpus }, (_, cpu) => openRing(cpu));
  try {
    const results: Record<string, string[]> = { kernel: [], vm: [] };
    const got: Record<string, string[][]> = { kernel: [], vm: [] };
    // Empty slots first: every case that gets past the flag checks is -ENOENT (or -E2BIG).
    for (const which of ['kernel', 'vm'] as const) {
      using c =
        which === 'kernel'
          ? loadKernel(spec(), { mapOverrides: { events: { maxEntries: cpus } } })
          : load(spec(), { cpus, cpu: pinned });
      for (const prog of ['xdp_perf', 'tc_perf', 'sk_perf']) {
        for (const [flags, size] of CASES) {
          setCfg(c, flags, size);
          c.program(prog).run({ data: frame });
          results[which]!.push(`empty ${prog} ${flags.toString(16)}/${size}: ${ret(c)}`);
        }
      }
      if (which === 'kernel') {
        for (const [cpu, r] of rings.entries()) c.map('events').update(u32(cpu), u32(r.fd));
      } else {
        const m = (c.map('events') as unknown as { map: unknown }).map;
        assert.ok(m instanceof PerfEventArrayMap);
        m.openAll({ pages: PAGES });
      }
      for (const prog of ['xdp_perf', 'tc_perf', 'sk_perf']) {
        for (const [flags, size] of CASES) {
          setCfg(c, flags, size);
          c.program(prog).run({ data: frame });
          results[which]!.push(`open ${prog} ${flags.toString(16)}/${size}: ${ret(c)}`);
        }
      }
      if (which === 'kernel') got.kernel = rings.map(consume);
      else {
        const m = (c.map('events') as unknown as { map: PerfEventArrayMap }).map;
        got.vm = m.events.map((ev) => vmRecords(ev.consume()));
      }
    }
    assert.deepEqual(results.vm, results.kernel);
    assert.deepEqual(got.vm, got.kernel);
    assert.ok(got.vm!.flat().length >= 8, 'samples were written');
  } finally {
    for (const r of rings) closeRing(r);
    unpin();
  }
});

test('a full ring: -ENOSPC, lost samples, then a PERF_RECORD_LOST before the next sample, as the kernel', {
  skip,
}, () => {
  const pinned = home();
  const unpin = pinThread([pinned]);
  const ring = openRing(pinned);
  try {
    const results: Record<string, string[]> = { kernel: [], vm: [] };
    for (const which of ['kernel', 'vm'] as const) {
      using c =
        which === 'kernel'
          ? loadKernel(spec(), { mapOverrides: { events: { maxEntries: cpus } } })
          : load(spec(), { cpus, cpu: pinned });
      let vm: PerfEventArrayMap | undefined;
      if (which === 'kernel') c.map('events').update(u32(pinned), u32(ring.fd));
      else {
        vm = (c.map('events') as unknown as { map: PerfEventArrayMap }).map;
        vm.open(pinned, { pages: PAGES });
      }
      const take = () => (vm === undefined ? consume(ring) : vmRecords(vm.consume()));
      const rets: bigint[] = [];
      // 80-byte records (8 header + 4 size + 64 data + 4 padding) in an 8 KiB ring: 102 fit.
      setCfg(c, CURRENT, 64);
      for (let k = 0; k < 110; k++) {
        c.program('xdp_perf').run({ data: frame });
        rets.push(ret(c));
      }
      const first = take();
      setCfg(c, CURRENT | ctxlen(4), 1);
      c.program('xdp_perf').run({ data: frame });
      rets.push(ret(c));
      // The kernel skips the padding (__output_skip), so it holds stale ring bytes; the VM's is 0.
      const last = take().map((x) => (x.startsWith('lost') ? x : `${x.length / 2} bytes: ${x.slice(0, 10)}`));
      results[which]!.push(rets.join(','), String(first.length), first[0]!, ...last);
    }
    assert.deepEqual(results.vm, results.kernel);
    assert.match(results.vm![0]!, /^(0,){102}(-28,){8}0$/);
    assert.deepEqual(results.vm!.slice(3), ['lost 8', '12 bytes: 01a0a1a2a3']);
  } finally {
    closeRing(ring);
    unpin();
  }
});
