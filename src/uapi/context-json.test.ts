// Context JSON round trips and errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCtx, encodeCtx } from './context-json.js';

test('xdp_md and __sk_buff fields encode at their offsets and decode back', () => {
  const xdp = encodeCtx('xdp_md', { ingress_ifindex: 1, rx_queue_index: 2 });
  assert.equal(xdp.length, 24);
  assert.deepEqual([...xdp.subarray(12, 20)], [1, 0, 0, 0, 2, 0, 0, 0]);
  assert.equal(decodeCtx('xdp_md', xdp).rx_queue_index, 2);
  const skb = encodeCtx('__sk_buff', { mark: 0xdead, cb: [1, 2, 3, 4, 5], tstamp: '12345678901' });
  const back = decodeCtx('__sk_buff', skb);
  assert.equal(back.mark, 0xdead);
  assert.deepEqual(back.cb, [1, 2, 3, 4, 5]);
  assert.equal(back.tstamp, 12345678901n);
});

test('unknown fields, overflowing arrays and non-integers are clear errors', () => {
  assert.throws(() => encodeCtx('xdp_md', { nope: 1 }), /no field 'nope'/);
  assert.throws(() => encodeCtx('__sk_buff', { cb: [1, 2, 3, 4, 5, 6] }), /do not fit/);
  assert.throws(() => encodeCtx('xdp_md', { data: 'x' }), /not an integer/);
});
