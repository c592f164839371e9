import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressSpace } from '../../runtime/index.js';
import { Wasm } from './host.js';
import { ByteWriter, I32, I64, ModuleBuilder, readS64, readU32 } from './index.js';

test('LEB128: unsigned and signed encodings round-trip, with the spec examples', () => {
  assert.deepEqual([...new ByteWriter().u32(624485).finish()], [0xe5, 0x8e, 0x26]);
  assert.deepEqual([...new ByteWriter().s32(-123456).finish()], [0xc0, 0xbb, 0x78]);
  for (const v of [0, 1, 63, 64, 127, 128, 16383, 16384, 2 ** 31, 0xffffffff]) {
    const b = new ByteWriter().u32(v).finish();
    assert.deepEqual(readU32(b, 0), [v, b.length]);
  }
  for (const v of [0n, -1n, 63n, 64n, -64n, -65n, 2n ** 31n, -(2n ** 31n), 2n ** 63n - 1n, -(2n ** 63n)]) {
    const b = new ByteWriter().s64(v).finish();
    assert.deepEqual(readS64(b, 0), [v, b.length]);
    if (v >= -(2n ** 31n) && v < 2n ** 31n)
      assert.deepEqual([...new ByteWriter().s32(Number(v)).finish()], [...b]);
  }
  assert.throws(() => new ByteWriter().u32(-1), RangeError);
});

test('sized() back-patches the length of what it wraps', () => {
  const w = new ByteWriter().sized((s) => s.bytes(new Uint8Array(200)));
  const b = w.finish();
  assert.deepEqual(readU32(b, 0), [200, 2]);
  assert.equal(b.length, 202);
});

test('globals keep their initial values, numbers and bigints, at 32 and 64 bits', () => {
  const m = new ModuleBuilder();
  const inits: [typeof I32 | typeof I64, number | bigint, number | bigint][] = [
    [I64, 0, 0n],
    [I64, -3, -3n],
    [I64, 2 ** 40, 2n ** 40n],
    [I64, 2n ** 63n, -(2n ** 63n)],
    [I32, -1, -1],
    [I32, 0xffffffff, -1],
    [I32, 2n ** 31n, -(2 ** 31)],
  ];
  for (const [k, [type, init]] of inits.entries()) m.exportGlobal(`g${k}`, m.global(type, false, init));
  const { exports } = new Wasm.Instance(new Wasm.Module(m.encode()), {});
  for (const [k, [, , want]] of inits.entries())
    assert.equal((exports[`g${k}`] as { value: unknown }).value, want);
});

test('a module with imports, globals, a table and nested labels validates and runs', () => {
  const m = new ModuleBuilder();
  const log = m.importFunction('env', 'log', [I64], []);
  m.importMemory('env', 'memory', 1);
  const g = m.global(I64, true, 5n);
  // sum(n): s = g; for (i = n; i != 0; i--) s += i; with a block around the loop and br_table.
  const { index: sum, body: f } = m.defineFunction([I32], [I64]);
  const s = f.local(I64);
  f.globalGet(g).set(s);
  const out = f.block();
  const top = f.loop();
  f.get(f.params[0]!).op('i32.eqz').brIf(out);
  f.get(s).get(f.params[0]!).op('i64.extend_i32_u').op('i64.add').set(s);
  f.get(f.params[0]!).i32(1).op('i32.sub').set(f.params[0]!);
  assert.equal(f.depth(top), 0);
  assert.equal(f.depth(out), 1);
  f.br(top);
  f.end(top).end(out);
  f.get(s).call(log);
  // store and reload through the memory
  f.i32(8).get(s).mem('i64.store');
  f.i32(8).mem('i64.load');
  const { index: pick, body: p } = m.defineFunction([I32], [I32]);
  const a = p.block();
  const b = p.block();
  const c = p.block();
  p.get(p.params[0]!).brTable([c, b], a);
  p.end(c).i32(10).op('return');
  p.end(b).i32(20).op('return');
  p.end(a).i32(30);
  const { index: viaTable, body: t } = m.defineFunction([I32], [I64]);
  t.get(t.params[0]!)
    .i32(0)
    .callIndirect(m.type([I32], [I64]));
  m.table([sum]);
  m.exportFunction('sum', sum);
  m.exportFunction('pick', pick);
  m.exportFunction('viaTable', viaTable);
  m.exportGlobal('g', g);
  const bytes = m.encode();
  assert.ok(Wasm.validate(bytes));
  const logged: bigint[] = [];
  const memory = new AddressSpace({ initialPages: 1 }).memory;
  const instance = new Wasm.Instance(new Wasm.Module(bytes), {
    env: { log: (v: bigint) => logged.push(v), memory },
  });
  const e = instance.exports as {
    sum(n: number): bigint;
    pick(k: number): number;
    viaTable(n: number): bigint;
  };
  assert.equal(e.sum(4), 15n);
  assert.deepEqual(logged, [15n]);
  assert.equal(new DataView(memory.buffer).getBigInt64(8, true), 15n);
  assert.deepEqual(
    [0, 1, 2, 7].map((k) => e.pick(k)),
    [10, 20, 30, 30],
  );
  assert.equal(e.viaTable(3), 11n);
});

test('the builder refuses unbalanced bodies and branches to closed labels', () => {
  const m = new ModuleBuilder();
  const { body } = m.defineFunction([], []);
  const l = body.block();
  assert.throws(() => m.encode(), /left open/);
  body.end(l);
  assert.throws(() => body.br(l), /closed label/);
  assert.throws(() => body.op('i32.load'), /mem\(\)/);
});
