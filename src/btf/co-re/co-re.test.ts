// CO-RE resolution on small hand-built BTF graphs: flavors, member search (anonymous members,
// flexible arrays), compatibility and TYPE_MATCHES, enumerator values, bitfield shifts in both
// byte orders, and the errors libbpf refuses to load with. Fixture-level parity with libbpf is in
// program/co-re-apply.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadError } from '../../errors.js';
import type { CoreReloKindName } from '../ext.js';
import type { Btf, BtfType } from '../types.js';
import { essentialName, namesMatch } from './names.js';
import { resolveCoreRelocation } from './resolve.js';

const btf = (...types: BtfType[]): Btf => ({
  littleEndian: true,
  types: [{ kind: 'void', name: '' }, ...types],
  raw: new Uint8Array(),
});
const int = (name = 'int', size = 4, signed = true): BtfType => ({
  kind: 'int',
  name,
  size,
  signed,
  char: false,
  bool: false,
  bitOffset: 0,
  bits: size * 8,
});
const struct = (name: string, size: number, members: [string, number, number, number?][]): BtfType => ({
  kind: 'struct',
  name,
  size,
  members: members.map(([n, type, bitOffset, bitfieldSize]) => ({
    name: n,
    type,
    bitOffset,
    bitfieldSize: bitfieldSize ?? 0,
  })),
});
const relo = (typeId: number, access: string, kind: CoreReloKindName) => ({ typeId, access, kind });
const resolve = (local: Btf, typeId: number, access: string, kind: CoreReloKindName, target: Btf) =>
  resolveCoreRelocation(local, relo(typeId, access, kind), target);

test('flavors: everything after the last X___Y separator is ignored', () => {
  assert.equal(essentialName('task_struct___v1'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('plain'), 'plain');
  assert.equal(essentialName('___x'), '___x');
  assert.equal(essentialName('foo____bar'), 'foo____bar');
  assert.equal(essentialName('x___'), 'x___');
  assert.ok(namesMatch('s___local', 's'));
  assert.ok(namesMatch('', ''));
  assert.ok(!namesMatch('s', ''));
});

// local: struct s { int a; int b; }   target: struct s { int pad; int pad2; int b; int a; }
const local = btf(
  int(),
  struct('s', 8, [
    ['a', 1, 0],
    ['b', 1, 32],
  ]),
);
const target = btf(
  int(),
  struct('s', 16, [
    ['pad', 1, 0],
    ['pad2', 1, 32],
    ['b', 1, 64],
    ['a', 1, 96],
  ]),
);

test('a member is found by name wherever the target puts it', () => {
  const r = resolve(local, 2, '0:1', 'FIELD_BYTE_OFFSET', target);
  assert.equal(r.origVal, 4n);
  assert.equal(r.newVal, 8n);
  assert.equal(r.poison, false);
  assert.equal(r.local, '<byte_off> [2] struct s.b (0:1 @ offset 4)');
  assert.equal(r.target, '<byte_off> [2] struct s.b (0:2 @ offset 8)');
  // Indexing the root pointer scales by the root's size in each BTF.
  assert.equal(resolve(local, 2, '1:0', 'FIELD_BYTE_OFFSET', target).newVal, 16n + 12n);
});

test('a member inside an anonymous struct or union is found, its path kept in the raw spec', () => {
  const anon: BtfType = {
    kind: 'union',
    name: '',
    size: 4,
    members: [{ name: 'b', type: 1, bitOffset: 0, bitfieldSize: 0 }],
  };
  const t = btf(
    int(),
    struct('s', 12, [
      ['a', 1, 0],
      ['', 3, 64],
    ]),
    anon,
  );
  const r = resolve(local, 2, '0:1', 'FIELD_BYTE_OFFSET', t);
  assert.equal(r.newVal, 8n);
  assert.equal(r.target, '<byte_off> [2] struct s.b (0:1:0 @ offset 8)');
});

test('a missing field: existence is 0, its offset poisons the instruction', () => {
  const t = btf(int(), struct('s', 4, [['a', 1, 0]]));
  assert.equal(resolve(local, 2, '0:1', 'FIELD_EXISTS', t).newVal, 0n);
  const off = resolve(local, 2, '0:1', 'FIELD_BYTE_OFFSET', t);
  assert.equal(off.poison, true);
  assert.equal(off.target, undefined);
  // A same-named member of an incompatible kind does not count either.
  const t2 = btf(
    int(),
    struct('s', 8, [
      ['a', 1, 0],
      ['b', 3, 32],
    ]),
    struct('inner', 4, []),
  );
  assert.equal(resolve(local, 2, '0:1', 'FIELD_EXISTS', t2).newVal, 0n);
});

test('array indices must fit the target array, unless it is a flexible array member', () => {
  const arr = (n: number): BtfType => ({ kind: 'array', name: '', type: 1, indexType: 1, nelems: n });
  const l = btf(
    int(),
    struct('v', 20, [
      ['n', 1, 0],
      ['data', 3, 32],
    ]),
    arr(4),
  );
  assert.equal(
    resolve(
      l,
      2,
      '0:1:3',
      'FIELD_BYTE_OFFSET',
      btf(
        int(),
        struct('v', 20, [
          ['n', 1, 0],
          ['data', 3, 32],
        ]),
        arr(4),
      ),
    ).newVal,
    16n,
  );
  assert.equal(
    resolve(
      l,
      2,
      '0:1:3',
      'FIELD_EXISTS',
      btf(
        int(),
        struct('v', 12, [
          ['n', 1, 0],
          ['data', 3, 32],
        ]),
        arr(2),
      ),
    ).newVal,
    0n,
  );
  // data[0] as the last member is flexible: any index goes, locally and in the target.
  const flex = btf(
    int(),
    struct('v', 4, [
      ['n', 1, 0],
      ['data', 3, 32],
    ]),
    arr(0),
  );
  assert.equal(resolve(flex, 2, '0:1:7', 'FIELD_BYTE_OFFSET', flex).newVal, 32n);
  assert.throws(
    () => resolve(l, 2, '0:1:9', 'FIELD_BYTE_OFFSET', l),
    /parsing \[2\] struct v \+ 0:1:9 failed/,
  );
});

test('field size, signedness and the shifts of a bitfield, in both byte orders', () => {
  const u = int('unsigned int', 4, false);
  const l = btf(u, struct('bf', 4, [['f', 1, 0, 3]]));
  const t = btf(
    u,
    struct('bf', 8, [
      ['x', 1, 0],
      ['f', 1, 37, 3],
    ]),
  );
  const v = (kind: CoreReloKindName, le = true) =>
    resolveCoreRelocation(l, relo(2, '0:0', kind), t, { littleEndian: le }).newVal;
  assert.equal(v('FIELD_BYTE_OFFSET'), 4n);
  assert.equal(v('FIELD_BYTE_SIZE'), 4n);
  assert.equal(v('FIELD_SIGNED'), 0n);
  assert.equal(v('FIELD_LSHIFT_U64'), 64n - (37n + 3n - 32n));
  assert.equal(v('FIELD_LSHIFT_U64', false), (8n - 4n) * 8n + (37n - 32n));
  assert.equal(v('FIELD_RSHIFT_U64'), 61n);
  // Bitfield aspects other than signedness and the right shift are not checked against the instruction.
  assert.equal(resolveCoreRelocation(l, relo(2, '0:0', 'FIELD_BYTE_OFFSET'), t).validate, false);
  assert.equal(resolveCoreRelocation(l, relo(2, '0:0', 'FIELD_RSHIFT_U64'), t).validate, true);
});

test('several matching flavors must agree, or the relocation is ambiguous', () => {
  const agree = btf(
    int(),
    struct('s', 8, [
      ['a', 1, 0],
      ['b', 1, 32],
    ]),
    struct('s___v2', 8, [
      ['a', 1, 0],
      ['b', 1, 32],
    ]),
  );
  assert.equal(resolve(local, 2, '0:1', 'FIELD_BYTE_OFFSET', agree).newVal, 4n);
  const differ = btf(
    int(),
    struct('s', 8, [
      ['a', 1, 0],
      ['b', 1, 32],
    ]),
    struct('s___v2', 12, [['b', 1, 64]]),
  );
  assert.throws(
    () => resolve(local, 2, '0:1', 'FIELD_BYTE_OFFSET', differ),
    (e: unknown) => e instanceof LoadError && /field offset ambiguity: 64 != 32/.test(e.message),
  );
});

test('type relocations: existence, size and target id; a missing type gives 0, never poison', () => {
  assert.equal(resolve(local, 2, '0', 'TYPE_EXISTS', target).newVal, 1n);
  assert.equal(resolve(local, 2, '0', 'TYPE_SIZE', target).newVal, 16n);
  const moved = btf(int('long', 8), int(), struct('s', 16, []));
  const id = resolve(local, 2, '0', 'TYPE_ID_TARGET', moved);
  assert.equal(id.newVal, 3n);
  assert.equal(id.validate, false);
  const none = btf(int());
  for (const kind of ['TYPE_EXISTS', 'TYPE_SIZE', 'TYPE_ID_TARGET', 'TYPE_MATCHES'] as const) {
    const r = resolve(local, 2, '0', kind, none);
    assert.deepEqual([r.newVal, r.poison], [0n, false], kind);
  }
  assert.equal(resolve(local, 2, '0', 'TYPE_ID_LOCAL', none).newVal, 2n);
  // A union is not a candidate for a struct.
  assert.equal(
    resolve(local, 2, '0', 'TYPE_EXISTS', btf({ kind: 'union', name: 's', size: 4, members: [] })).newVal,
    0n,
  );
});

test('TYPE_MATCHES: names, integer size and sign, enum names, pointers to forward declarations', () => {
  const m = (l: Btf, t: Btf) => resolve(l, 2, '0', 'TYPE_MATCHES', t).newVal;
  assert.equal(
    m(
      local,
      btf(
        int(),
        struct('s', 8, [
          ['b', 1, 0],
          ['a', 1, 32],
        ]),
      ),
    ),
    1n,
  );
  assert.equal(
    m(
      local,
      btf(
        int('int', 8),
        struct('s', 16, [
          ['a', 1, 0],
          ['b', 1, 64],
        ]),
      ),
    ),
    0n,
  );
  assert.equal(
    m(
      local,
      btf(
        int('int', 4, false),
        struct('s', 8, [
          ['a', 1, 0],
          ['b', 1, 32],
        ]),
      ),
    ),
    0n,
  );
  assert.equal(m(local, btf(int(), struct('s', 4, [['a', 1, 0]]))), 0n);
  const e = (name: string, size: number, ...names: string[]): BtfType => ({
    kind: 'enum',
    name,
    size,
    signed: false,
    values: names.map((n, value) => ({ name: n, value })),
  });
  const le = btf(int(), e('e', 4, 'A', 'B'));
  assert.equal(m(le, btf(int(), e('e', 4, 'B', 'C', 'A___x'))), 1n);
  assert.equal(m(le, btf(int(), e('e', 4, 'A'))), 0n);
  assert.equal(m(le, btf(int(), e('e', 8, 'A', 'B'))), 0n);
  // struct p { struct q *q; } against struct p { struct q *q; } where the target only declares q.
  const lp = btf(struct('q', 4, []), struct('p', 8, [['q', 3, 0]]), { kind: 'ptr', name: '', type: 1 });
  const tp = btf({ kind: 'fwd', name: 'q', union: false }, struct('p', 8, [['q', 3, 0]]), {
    kind: 'ptr',
    name: '',
    type: 1,
  });
  assert.equal(m(lp, tp), 1n);
  const tu = btf({ kind: 'fwd', name: 'q', union: true }, struct('p', 8, [['q', 3, 0]]), {
    kind: 'ptr',
    name: '',
    type: 1,
  });
  assert.equal(m(lp, tu), 0n);
});

test('enumerator relocations: by name (flavor ignored), 32-bit values widened with their sign', () => {
  const l = btf(int(), {
    kind: 'enum',
    name: 'e',
    size: 4,
    signed: false,
    values: [{ name: 'A___mine', value: 7 }],
  });
  const t32 = btf({
    kind: 'enum',
    name: 'e',
    size: 4,
    signed: true,
    values: [
      { name: 'Z', value: 0 },
      { name: 'A', value: -1 },
    ],
  });
  assert.equal(resolve(l, 2, '0', 'ENUMVAL_VALUE', t32).newVal, 0xffffffffffffffffn);
  assert.equal(resolve(l, 2, '0', 'ENUMVAL_EXISTS', t32).newVal, 1n);
  const t64 = btf({
    kind: 'enum64',
    name: 'e___k',
    size: 8,
    signed: false,
    values: [{ name: 'A', value: 1n << 40n }],
  });
  assert.equal(resolve(l, 2, '0', 'ENUMVAL_VALUE', t64).newVal, 1n << 40n);
  const gone = btf({ kind: 'enum', name: 'e', size: 4, signed: false, values: [{ name: 'B', value: 1 }] });
  assert.equal(resolve(l, 2, '0', 'ENUMVAL_EXISTS', gone).newVal, 0n);
  assert.equal(resolve(l, 2, '0', 'ENUMVAL_VALUE', gone).poison, true);
});

test('what libbpf refuses: malformed access strings, anonymous roots, wrong root kinds', () => {
  const bad = (typeId: number, access: string, kind: CoreReloKindName, re: RegExp) =>
    assert.throws(
      () => resolve(local, typeId, access, kind, target),
      (e: unknown) => e instanceof LoadError && re.test(e.message),
      access,
    );
  bad(2, '', 'FIELD_BYTE_OFFSET', /malformed/);
  bad(2, ':1', 'FIELD_BYTE_OFFSET', /malformed/);
  bad(2, '0:x', 'FIELD_BYTE_OFFSET', /malformed/);
  bad(2, '0:5', 'FIELD_BYTE_OFFSET', /no member #5/);
  bad(2, '0:99999999999', 'FIELD_BYTE_OFFSET', /out of range/);
  bad(2, '1', 'TYPE_SIZE', /needs access string "0"/);
  bad(2, '0', 'ENUMVAL_VALUE', /is not an enum/);
  bad(1, '0:0', 'FIELD_BYTE_OFFSET', /steps into \[1\], a int/);
  bad(9, '0', 'TYPE_EXISTS', /no type with id 9/);
  bad(2, Array(65).fill('0').join(':'), 'FIELD_BYTE_OFFSET', /deeper than 64/);
  const anon = btf(int(), struct('', 4, [['a', 1, 0]]));
  assert.throws(
    () => resolve(anon, 2, '0:0', 'FIELD_BYTE_OFFSET', target),
    /anonymous types are not supported/,
  );
});
