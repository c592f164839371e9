// Queue and stack maps: push (update with no key), peek (lookup), full-map errnos and BPF_EXIST
// overwriting the oldest, against the kernel; pop through lookupAndDelete and the program side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pair, u32 } from '../../../test/gen/map-oracle.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';

const none = new Uint8Array(0);

for (const type of ['QUEUE', 'STACK'] as const) {
  test(`${type.toLowerCase()}: push/peek and full-map errnos as the kernel`, () => {
    using p = pair({ type, keySize: 0, valueSize: 4, maxEntries: 3 });
    p.same('peek empty', (m) => m.lookup(none));
    for (const v of [1, 2, 3]) p.same(`push ${v}`, (m) => m.update(none, u32(v), BPF_ANY));
    p.same('peek', (m) => m.lookup(none));
    p.same('push full', (m) => m.update(none, u32(4), BPF_ANY));
    p.same('push NOEXIST', (m) => m.update(none, u32(4), BPF_NOEXIST));
    p.same('push bad flags', (m) => m.update(none, u32(4), 3));
    p.same('push EXIST overwrites the oldest', (m) => m.update(none, u32(4), BPF_EXIST));
    p.same('peek after overwrite', (m) => m.lookup(none));
    p.same('delete', (m) => m.delete(none));
    p.same('next', (m) => m.nextKey());
    const order = [];
    for (let v = p.ours.pop(); v !== undefined; v = p.ours.pop()) order.push(v[0]);
    assert.deepEqual(order, type === 'QUEUE' ? [2, 3, 4] : [4, 3, 2]);
    assert.equal(p.ours.lookupAndDelete(none), undefined);
  });
}

test('queue program side: push/pop/peek copy through buffers and return -errno', () => {
  const space = new AddressSpace();
  using q = createMap(space, { type: 'QUEUE', keySize: 0, valueSize: 2, maxEntries: 2 });
  const out = new Uint8Array(2);
  assert.equal(q.popElem(out), -2);
  assert.equal(q.pushElem(new Uint8Array([1, 2]), 0), 0);
  assert.equal(q.pushElem(new Uint8Array([3, 4]), 0), 0);
  assert.equal(q.pushElem(new Uint8Array([5, 6]), 0), -7);
  assert.equal(q.peekElem(out), 0);
  assert.deepEqual(out, new Uint8Array([1, 2]));
  assert.equal(q.popElem(out), 0);
  assert.equal(q.popElem(out), 0);
  assert.deepEqual(out, new Uint8Array([3, 4]));
  assert.equal(q.lookupAddress(none), 0, 'map_lookup_elem gives NULL on a queue');
  assert.equal(q.updateElem(none, out, 0), -22);
  q.push(new Uint8Array([9, 9]));
  assert.deepEqual(q.peek(), new Uint8Array([9, 9]));
});
