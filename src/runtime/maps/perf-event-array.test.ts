// PERF_EVENT_ARRAY: creation errnos and the user-side element commands against BPF_MAP_CREATE and
// friends (lookup is ENOTSUPP, update takes only BPF_ANY and a perf event, delete of an empty slot
// is ENOENT), and the VM's own side: opening events, ring accounting, lost records, closing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpus, outcome, pair, skip, u32 } from '../../../test/gen/map-oracle.js';
import { BpfError, TsbpfError } from '../../errors.js';
import { createMap as createKernelMap } from '../../kernel/map.js';
import { AddressSpace } from '../memory.js';
import { checkMapSpec, createMap } from './create.js';
import { PerfEventArrayMap } from './perf-event-array.js';

type Row = [number, number, number, number];
// [keySize, valueSize, maxEntries, flags]
const ROWS: Row[] = [
  [4, 4, 1, 0],
  [4, 4, 0, 0],
  [8, 4, 1, 0],
  [4, 8, 1, 0],
  [4, 0, 1, 0],
  [4, 4, 1, 0x800], // BPF_F_PRESERVE_ELEMS
  [4, 4, 1, 0x80], // BPF_F_RDONLY_PROG
  [4, 4, 1, 0x100], // BPF_F_WRONLY_PROG
  [4, 4, 1, 0x8], // BPF_F_RDONLY
  [4, 4, 1, 0x10], // BPF_F_WRONLY
  [4, 4, 1, 0x400], // BPF_F_MMAPABLE
  [4, 4, 1, 0x1000], // BPF_F_INNER_MAP
  [4, 4, 1, 0x4], // BPF_F_NUMA_NODE
  [4, 4, 1, 0x1], // BPF_F_NO_PREALLOC
  [4, 4, 4096, 0],
];

test('creation errnos match BPF_MAP_CREATE', { skip }, () => {
  const diffs: string[] = [];
  for (const [keySize, valueSize, maxEntries, flags] of ROWS) {
    const spec = { type: 'PERF_EVENT_ARRAY' as const, keySize, valueSize, maxEntries, flags };
    const ours = checkMapSpec(spec, { cpus });
    let theirs = 0;
    try {
      createKernelMap(spec).close();
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      theirs = e.errno;
    }
    if (ours !== theirs)
      diffs.push(`k${keySize} v${valueSize} n${maxEntries} f${flags}: ours ${ours}, kernel ${theirs}`);
  }
  assert.deepEqual(diffs, []);
});

test('user-side element commands as the kernel (no perf event in any slot)', () => {
  using p = pair({ type: 'PERF_EVENT_ARRAY', keySize: 4, valueSize: 4, maxEntries: 4 });
  const bogus = u32(0x7ffffff0); // no fd in the kernel, no event id here
  assert.equal(
    p.same('lookup empty', (m) => m.lookup(u32(0))),
    'E524',
  );
  p.same('lookup past max', (m) => m.lookup(u32(9)));
  assert.equal(
    p.same('delete empty', (m) => m.delete(u32(1))),
    'E2',
  );
  assert.equal(
    p.same('delete past max', (m) => m.delete(u32(4))),
    'E7',
  );
  assert.equal(
    p.same('update NOEXIST', (m) => m.update(u32(0), bogus, 1)),
    'E22',
  );
  p.same('update EXIST past max', (m) => m.update(u32(7), bogus, 2));
  assert.equal(
    p.same('update past max', (m) => m.update(u32(4), bogus)),
    'E7',
  );
  assert.equal(
    p.same('update not a perf event', (m) => m.update(u32(0), bogus)),
    'E9',
  );
  assert.equal(
    p.same('walk', (m) => [m.nextKey(), m.nextKey(u32(2)), m.nextKey(u32(3)), m.nextKey(u32(99))].join('|')),
    '0,0,0,0|3,0,0,0||0,0,0,0',
  );
  // An opened event: update accepts it, lookup stays ENOTSUPP, delete empties the slot.
  const m = p.ours as PerfEventArrayMap;
  const ev = m.openEvent({ cpu: 1 });
  m.update(u32(2), u32(ev.id));
  assert.equal(
    outcome(() => m.lookup(u32(2))),
    'E524',
  );
  assert.equal(m.eventAt(2), ev);
  m.delete(u32(2));
  assert.equal(m.eventAt(2), undefined);
  assert.equal(
    outcome(() => m.delete(u32(2))),
    'E2',
  );
});

test('openAll: one event per CPU up to max_entries; rings account, lose and consume records', () => {
  const space = new AddressSpace();
  const m = createMap(
    space,
    { type: 'PERF_EVENT_ARRAY', keySize: 4, valueSize: 4, maxEntries: 8 },
    { cpus: 3 },
  );
  assert.ok(m instanceof PerfEventArrayMap);
  const evs = m.openAll({ pages: 1 });
  assert.deepEqual(
    evs.map((e) => [e.cpu, e.size]),
    [
      [0, 4096],
      [1, 4096],
      [2, 4096],
    ],
  );
  assert.equal(m.eventAt(3), undefined);
  // Slot 3 holds CPU 1's event too: a program on CPU 1 may use it; on CPU 0 it is EOPNOTSUPP.
  m.update(u32(3), u32(evs[1]!.id));
  assert.equal(m.outputSample(3n, 1, new Uint8Array(4)), 0);
  assert.equal(m.outputSample(3n, 0, new Uint8Array(4)), -95);
  assert.equal(m.outputSample(0xffffffffn, 2, Uint8Array.of(7)), 0);
  assert.equal(m.outputSample(8n, 2, Uint8Array.of(7)), -7);
  assert.equal(evs[1]!.used, 16, '8-byte header + 4-byte size + 4 bytes');
  // 4096-byte ring of 1 page: 4095 usable; 1000-byte samples take 1016: four fit.
  const big = new Uint8Array(1000).fill(9);
  const rets = Array.from({ length: 6 }, () => evs[0]!.output(big));
  assert.deepEqual(rets, [0, 0, 0, 0, -28, -28]);
  assert.equal(evs[0]!.lost, 2);
  assert.equal(evs[0]!.consume(3).length, 3);
  assert.equal(evs[0]!.output(Uint8Array.of(1, 2)), 0);
  const rest = evs[0]!.consume();
  assert.deepEqual(
    rest.map((r) => (r.type === 'lost' ? `lost ${r.lost}` : r.data.length)),
    [1004, 'lost 2', 4],
  );
  assert.equal(evs[0]!.used, 0);
  const all = m.consume();
  assert.deepEqual(
    all.map((r) => `${r.type}@${r.cpu}`),
    ['sample@1', 'sample@2'],
  );
  // Closing an event empties every slot that holds it.
  m.closeEvent(evs[1]!);
  assert.equal(m.eventAt(1), undefined);
  assert.equal(m.eventAt(3), undefined);
  assert.equal(m.outputSample(1n, 1, Uint8Array.of(1)), -2);
  assert.throws(() => m.openEvent({ cpu: 3 }), TsbpfError);
  assert.throws(() => m.open(4, { pages: 3 }), TsbpfError);
  m.close();
  assert.equal(space.regions.length, 0);
});
