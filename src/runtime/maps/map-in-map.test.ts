// Map-in-map and the registry: ids, handle addresses, program lookups that yield an inner map's
// handle, the template check (EINVAL on mismatch, EBADF for unknown ids), and address lookups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { u32, u64 } from '../../../test/gen/map-oracle.js';
import { ClosedError, TsbpfError } from '../../errors.js';
import { BPF_F_INNER_MAP, BPF_NOEXIST } from '../../uapi/map-flags.js';
import { AddressSpace } from '../memory.js';
import { createMap } from './create.js';
import { MapRegistry } from './registry.js';
import { RingBufMap } from './ringbuf.js';

const inner = { type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 2 } as const;

test('registry: ids from 1, handles resolve back, owner() finds the map holding an address', () => {
  const space = new AddressSpace();
  const reg = new MapRegistry(space);
  const a = createMap(space, { ...inner, name: 'a' }, { registry: reg });
  const b = createMap(
    space,
    { type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 4, name: 'b' },
    { registry: reg },
  );
  assert.equal(reg.idOf(a), 1);
  assert.equal(reg.idOf(b), 2);
  const ha = reg.handleOf(a);
  assert.notEqual(ha, 0);
  assert.equal(reg.byHandle(BigInt(ha)), a);
  assert.equal(reg.byHandle(ha + 1), undefined);
  assert.equal(space.readU32(ha), 1, 'the handle holds the id');
  assert.throws(() => space.writeU32(ha, 0), /invalid write/, 'handles are read-only');
  assert.equal(reg.register(a), ha, 'idempotent');
  assert.equal(reg.owner(a.lookupAddress(u32(1)) + 3), a);
  b.update(u32(7), u32(7));
  assert.equal(reg.owner(b.lookupAddress(u32(7))), b);
  assert.equal(reg.owner(ha), undefined, 'a handle is no value storage');
  const rb = createMap(
    space,
    { type: 'RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 },
    { registry: reg },
  );
  assert.ok(rb instanceof RingBufMap);
  const rec = rb.reserve(16);
  assert.equal(reg.owner(rec), rb, 'ringbuf_submit finds its ring from the record address');
  a.close();
  assert.equal(reg.byId(1), undefined);
  assert.equal(reg.byHandle(ha), undefined);
  assert.throws(() => space.readU32(ha), /invalid read/);
  assert.throws(() => a.lookup(u32(0)), ClosedError);
  assert.deepEqual([...reg.maps()], [b, rb]);
});

for (const type of ['ARRAY_OF_MAPS', 'HASH_OF_MAPS'] as const) {
  test(`${type.toLowerCase()}: values are map ids, programs get handles`, () => {
    const space = new AddressSpace();
    const reg = new MapRegistry(space);
    const outer = createMap(
      space,
      { type, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: inner },
      { registry: reg },
    );
    const i1 = createMap(space, inner, { registry: reg });
    const i2 = createMap(space, { ...inner, maxEntries: 3 }, { registry: reg });
    const i3 = createMap(space, { ...inner, valueSize: 4 }, { registry: reg });
    outer.update(u32(0), u32(reg.idOf(i1)));
    assert.deepEqual(outer.lookup(u32(0)), u32(reg.idOf(i1)), 'lookup reports the inner map id');
    assert.throws(
      () => outer.update(u32(1), u32(reg.idOf(i2))),
      /EINVAL/,
      'array inner: max_entries must match',
    );
    assert.throws(() => outer.update(u32(1), u32(reg.idOf(i3))), /EINVAL/, 'value_size must match');
    assert.throws(() => outer.update(u32(1), u32(999)), /EBADF/);
    // Program side: lookup -> inner handle -> the inner map -> its value.
    const h = outer.lookupAddress(u32(0));
    assert.equal(h, reg.handleOf(i1));
    const m = reg.byHandle(h)!;
    assert.equal(m, i1);
    i1.update(u32(1), u64(77n));
    assert.equal(space.readU64(m.lookupAddress(u32(1))), 77n);
    assert.equal(outer.lookupAddress(u32(2)), 0);
    assert.equal(outer.updateElem(u32(0), u32(1), 0), -22, 'programs cannot store maps');
    if (type === 'HASH_OF_MAPS')
      assert.throws(() => outer.update(u32(0), u32(reg.idOf(i1)), BPF_NOEXIST), /EEXIST/);
    else assert.throws(() => outer.update(u32(0), u32(reg.idOf(i1)), BPF_NOEXIST), /EINVAL/);
    outer.delete(u32(0));
    assert.equal(outer.lookup(u32(0)), undefined);
    assert.throws(() => outer.delete(u32(0)), /ENOENT/);
    const id1 = reg.idOf(i1);
    i1.close();
    assert.throws(() => outer.update(u32(0), u32(id1)), /EBADF/, 'a closed map id no longer resolves');
  });
}

test('map-in-map creation: template required, no nesting, BPF_F_INNER_MAP relaxes max_entries', () => {
  const space = new AddressSpace();
  const reg = new MapRegistry(space);
  const spec = { type: 'ARRAY_OF_MAPS', keySize: 4, valueSize: 4, maxEntries: 1 } as const;
  assert.throws(() => createMap(space, spec, { registry: reg }), /EBADF/);
  assert.throws(() => createMap(space, { ...spec, innerMap: spec }, { registry: reg }), /EINVAL/);
  assert.throws(
    () => createMap(space, { ...spec, innerMap: inner }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT',
  );
  const outer = createMap(
    space,
    { ...spec, innerMap: { ...inner, flags: BPF_F_INNER_MAP } },
    { registry: reg },
  );
  const big = createMap(space, { ...inner, maxEntries: 9, flags: BPF_F_INNER_MAP }, { registry: reg });
  outer.update(u32(0), u32(reg.idOf(big)));
  assert.equal(outer.lookupAddress(u32(0)), reg.handleOf(big));
});
