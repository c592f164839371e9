import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verdictName } from './verdicts.js';

test('verdictName names each type return values', () => {
  assert.equal(verdictName('XDP', 1), 'XDP_DROP');
  assert.equal(verdictName('XDP', 9), 'unknown XDP action 9');
  assert.equal(verdictName('SCHED_CLS', -1 >>> 0), 'TC_ACT_UNSPEC');
  assert.equal(verdictName('SOCKET_FILTER', 0), 'drop');
  assert.equal(verdictName('SOCKET_FILTER', 64), 'keep 64 bytes');
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((v) => verdictName('CGROUP_SKB', v)),
    ['drop', 'allow', 'drop, congestion notified', 'allow, congestion notified', '4'],
  );
});
