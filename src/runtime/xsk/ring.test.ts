// The ring protocol against a model queue: random interleavings of reserve/submit on one side
// and peek/release/cancel on the other, with indices starting near the u32 wrap, keep FIFO order,
// never hold more than `size` entries, refuse a reserve exactly when too few are free, and
// never give an entry twice or lose one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { XDP_ADDR_SIZE, XDP_DESC_SIZE, XDP_RING_LAYOUT } from '../../uapi/if-xdp.js';
import { ConsumerRing, isRingSize, ProducerRing, ringBytes } from './ring.js';

const runs = Number(process.env.TSBPF_PROPERTY_RUNS ?? 300);
const seed =
  process.env.TSBPF_PROPERTY_SEED === undefined ? undefined : Number(process.env.TSBPF_PROPERTY_SEED);

function ring(size: number, entrySize: number, start: number) {
  const view = new DataView(new ArrayBuffer(ringBytes(XDP_RING_LAYOUT, size, entrySize)));
  view.setUint32(XDP_RING_LAYOUT.producer, start, true);
  view.setUint32(XDP_RING_LAYOUT.consumer, start, true);
  return {
    view,
    prod: new ProducerRing(view, XDP_RING_LAYOUT, size, entrySize),
    cons: new ConsumerRing(view, XDP_RING_LAYOUT, size, entrySize),
  };
}

type Op =
  | { op: 'reserve'; n: number; submit: boolean }
  | { op: 'peek'; max: number; release: number }
  | { op: 'cancel-peek'; max: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('reserve' as const),
    n: fc.integer({ min: 1, max: 20 }),
    submit: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('peek' as const),
    max: fc.integer({ min: 1, max: 20 }),
    release: fc.integer({ min: 0, max: 20 }),
  }),
  fc.record({ op: fc.constant('cancel-peek' as const), max: fc.integer({ min: 1, max: 20 }) }),
);

test('ring: FIFO, full and empty, and the u32 wrap, against a model queue', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 4, 8, 16),
      fc.constantFrom(XDP_ADDR_SIZE, XDP_DESC_SIZE),
      fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 32 - 40, max: 2 ** 32 - 1 })),
      fc.array(opArb, { maxLength: 80 }),
      (size, entrySize, start, ops) => {
        const { prod, cons } = ring(size, entrySize, start);
        const model: number[] = []; // published, unreleased entries in order
        let next = 1;
        let unsubmitted = 0;
        for (const o of ops) {
          if (o.op === 'reserve') {
            const free = size - model.length - unsubmitted;
            const idx = prod.reserve(o.n);
            if (o.n > free) {
              assert.equal(idx, -1, `reserve ${o.n} with ${free} free must fail`);
              continue;
            }
            assert.notEqual(idx, -1, `reserve ${o.n} with ${free} free must succeed`);
            for (let k = 0; k < o.n; k++) {
              if (entrySize === XDP_ADDR_SIZE) prod.setAddr(idx + k, next + k);
              else prod.setDesc(idx + k, next + k, k, 0);
            }
            if (o.submit) {
              prod.submit(o.n + unsubmitted);
              for (let k = 0; k < unsubmitted + o.n; k++) model.push(next - unsubmitted + k);
              unsubmitted = 0;
            } else unsubmitted += o.n;
            next += o.n;
          } else {
            const span = cons.peek(o.max);
            assert.equal(span.count, Math.min(o.max, model.length));
            const got: number[] = [];
            for (let k = 0; k < span.count; k++)
              got.push(entrySize === XDP_ADDR_SIZE ? cons.addr(span.idx + k) : cons.desc(span.idx + k).addr);
            assert.deepEqual(got, model.slice(0, span.count));
            if (o.op === 'cancel-peek') {
              cons.cancel(span.count);
              continue;
            }
            const rel = Math.min(o.release, span.count);
            cons.cancel(span.count - rel);
            cons.release(rel);
            model.splice(0, rel);
          }
          assert.equal(cons.filled, model.length);
          assert.ok(cons.filled <= size);
        }
        // Drain: exactly the model remains, then the ring is empty.
        const rest = cons.peek(size + 1);
        assert.equal(rest.count, model.length);
        cons.release(rest.count);
        assert.equal(cons.peek(1).count, 0);
      },
    ),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
});

test('ring: sizes must be powers of two; the memory must hold the entries', () => {
  assert.ok(isRingSize(2048) && isRingSize(1) && !isRingSize(0) && !isRingSize(3) && !isRingSize(2.5));
  const view = new DataView(new ArrayBuffer(ringBytes(XDP_RING_LAYOUT, 4, 16)));
  assert.throws(() => new ProducerRing(view, XDP_RING_LAYOUT, 3, 16), RangeError);
  assert.throws(() => new ProducerRing(view, XDP_RING_LAYOUT, 8, 16), RangeError);
  assert.throws(() => new ProducerRing(view, XDP_RING_LAYOUT, 4, 12), RangeError);
});

test('ring: need_wakeup is the flags word bit 0, at the kernel offset', () => {
  const { view, prod } = ring(4, 16, 0);
  assert.equal(prod.needWakeup(), false);
  prod.setNeedWakeup(true);
  assert.equal(view.getUint32(XDP_RING_LAYOUT.flags, true), 1);
  assert.equal(prod.needWakeup(), true);
  prod.setNeedWakeup(false);
  assert.equal(view.getUint32(XDP_RING_LAYOUT.flags, true), 0);
});

test('ring: addresses above 2^32 survive the two-word split', () => {
  const { prod, cons } = ring(2, 8, 0);
  const idx = prod.reserve(1);
  prod.setAddr(idx, 2 ** 40 + 12345);
  prod.submit(1);
  assert.equal(cons.addr(cons.peek(1).idx), 2 ** 40 + 12345);
});
