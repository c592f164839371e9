// bpf_perf_event_output in the VM through assembled programs: slots chosen by index or by the
// running CPU, packet bytes appended, the errnos for empty slots, other CPUs and bad flags, the
// collection's openPerfBuffers/consumePerf, skb bytes from tc and socket filters, and the fault for
// what the verifier would refuse. The kernel comparison is perf-kernel.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { RuntimeFault } from '../../errors.js';
import type { Instruction } from '../../isa/index.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../../program/index.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import { PerfEventArrayMap } from '../maps/perf-event-array.js';

const perfMap = (maxEntries = 0, type: MapSpec['type'] = 'PERF_EVENT_ARRAY'): MapSpec => ({
  name: 'events',
  type,
  keySize: 4,
  valueSize: 4,
  maxEntries,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
});

/**
 * A program that stores the u64 `word` on the stack and calls bpf_perf_event_output(ctx,
 * &events, flags, fp-8, size), returning the helper's result.
 */
function spec(flags: bigint, size = 8, type: ProgTypeName = 'XDP', map = perfMap()): CollectionSpec {
  const text = [
    'r6 = r1',
    'r1 = 0x1122334455667788 ll',
    '*(u64 *)(r10 - 8) = r1',
    'r1 = r6',
    'r2 = 0 ll',
    `r3 = ${BigInt.asIntN(64, flags)} ll`,
    'r4 = r10',
    'r4 += -8',
    `r5 = ${size}`,
    'call 25',
    'exit',
  ].join('\n');
  const instructions: Instruction[] = assemble(text).map((i, k) =>
    k === 4 ? { ...i, src: 1, reference: 'events' } : i,
  );
  const program: ProgramSpec = {
    name: 'p',
    sectionName: type === 'XDP' ? 'xdp' : type === 'SOCKET_FILTER' ? 'socket' : 'tc',
    type,
    flags: 0,
    instructions,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [map], variables: [], license: 'GPL' };
}

const CURRENT = 0xffffffffn;
const frame = Uint8Array.from({ length: 20 }, (_, k) => k);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const errno = (r: number) => (r === 0 ? 0 : r - 2 ** 32);

function events(c: ReturnType<typeof load>): PerfEventArrayMap {
  const m = c.map('events').map;
  assert.ok(m instanceof PerfEventArrayMap);
  return m;
}

test('max_entries 0 becomes the number of CPUs at load; empty slots are -ENOENT until opened', () => {
  using c = load(spec(CURRENT), { cpus: 3, cpu: 2 });
  assert.equal(events(c).maxEntries, 3);
  assert.equal(errno(c.program('p').run({ data: frame }).retval), -2);
  c.openPerfBuffers();
  assert.equal(events(c).events.length, 3);
  assert.equal(c.program('p').run({ data: frame }).retval, 0);
  const out = c.consumePerf();
  assert.deepEqual([...out.keys()], ['events']);
  assert.deepEqual(
    out.get('events')!.map((r) => (r.type === 'sample' ? [r.cpu, hex(r.data)] : r)),
    [[2, '887766554433221100000000']],
  );
  assert.equal(c.consumePerf().size, 0, 'consumed');
  c.openPerfBuffers(); // already open: no second set
  assert.equal(events(c).events.length, 3);
});

test('flags: slot index, BPF_F_CURRENT_CPU, other CPUs, packet bytes, bad bits', () => {
  const run = (flags: bigint, size = 8, cpu = 1) => {
    using c = load(spec(flags, size), { cpus: 2, cpu });
    c.openPerfBuffers();
    const r = errno(c.program('p').run({ data: frame }).retval);
    return [
      r,
      ...events(c)
        .consume()
        .map((x) => (x.type === 'sample' ? `${x.cpu}:${hex(x.data)}` : 'lost')),
    ];
  };
  assert.deepEqual(run(CURRENT), [0, '1:887766554433221100000000']);
  assert.deepEqual(run(1n), [0, '1:887766554433221100000000']);
  assert.deepEqual(run(0n), [-95], 'slot 0 holds CPU 0s event: -EOPNOTSUPP on CPU 1');
  assert.deepEqual(run(2n), [-7], 'past max_entries: -E2BIG');
  assert.deepEqual(run(CURRENT | (4n << 32n), 2), [0, '1:887700010203000000000000']);
  assert.deepEqual(run(CURRENT | (20n << 32n), 0), [0, `1:${hex(frame)}`]);
  assert.deepEqual(run(CURRENT | (21n << 32n)), [-14], 'more packet bytes than the packet: -EFAULT');
  assert.deepEqual(run(CURRENT | (1n << 52n)), [-22], 'bits above BPF_F_CTXLEN_MASK: -EINVAL');
});

test('tc programs and socket filters append skb bytes (from the MAC and network header)', () => {
  using c = load(spec(CURRENT | (3n << 32n), 1, 'SCHED_CLS'), { cpus: 2, cpu: 0 });
  c.openPerfBuffers();
  assert.equal(c.program('p').run({ data: frame }).retval, 0);
  const [r] = events(c).consume();
  assert.ok(r?.type === 'sample');
  assert.equal(hex(r.data), '88000102');
  const sk = new Uint8Array(34);
  sk.set([8, 0], 12); // IPv4 EtherType: the network header starts at 14
  sk[14] = 0x45;
  using f = load(spec(CURRENT | (2n << 32n), 1, 'SOCKET_FILTER'), { cpus: 2, cpu: 0 });
  f.openPerfBuffers();
  assert.equal(f.program('p').run({ data: sk }).retval, 0);
  const [s] = events(f).consume();
  assert.ok(s?.type === 'sample');
  assert.equal(hex(s.data), '88450000');
});

test('a map that is not a perf event array faults (the verifier would refuse the program)', () => {
  using c = load(spec(CURRENT, 8, 'XDP', perfMap(1, 'ARRAY')));
  assert.throws(() => c.program('p').run({ data: frame }), RuntimeFault);
});
