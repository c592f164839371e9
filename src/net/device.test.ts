// The RX queue of a device (FrameQueue): any interleaving of pushes and takes gives the frames
// back in order, each once, with the right length, across its 1024-frame chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Frame, FrameQueue } from './device.js';

test('FrameQueue: pushes and takes in any order keep FIFO order and the length', () => {
  const step = fc.oneof(
    fc.record({ push: fc.integer({ min: 0, max: 2500 }) }),
    fc.record({ take: fc.integer({ min: 0, max: 200 }) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const q = new FrameQueue();
      const model: Frame[] = [];
      const out: Frame[] = [];
      let id = 0n;
      for (const s of steps) {
        if ('push' in s)
          for (let i = 0; i < s.push; i++) {
            const f = { data: new Uint8Array(0), timestamp: id++ };
            q.push(f);
            model.push(f);
          }
        else {
          const want = model.splice(0, s.take);
          assert.equal(q.take(s.take, out), want.length);
          for (const [k, f] of want.entries()) assert.equal(q.taken[q.takenAt + k], f);
        }
        assert.equal(q.length, model.length);
      }
    }),
    { numRuns: 300 },
  );
});
