// BTF parsing and queries against the fixture objects: every kind, both byte orders, .BTF.ext records.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readElf } from '../elf/reader.js';
import { LoadError } from '../errors.js';
import { parseBtfExt } from './ext.js';
import { parseBtf } from './parse.js';
import { findType, memberOffset, resolveId, sizeOf, typeName } from './query.js';

const root = new URL('../../../', import.meta.url);
const fixture = (name: string): Uint8Array => readFileSync(new URL(`test/fixtures/elf/${name}`, root));
const section = (obj: string, name: string): Uint8Array =>
  readElf(fixture(obj)).sections.find((s) => s.name === name)!.data;

/** Builds a BTF blob from raw u32 words of the type section and a list of strings. */
function blob(typeWords: number[], strings: string[], littleEndian = true): Uint8Array {
  const enc = new TextEncoder();
  const strParts = ['', ...strings].flatMap((s) => [...enc.encode(s), 0]);
  const types = new Uint8Array(typeWords.length * 4);
  const tv = new DataView(types.buffer);
  typeWords.forEach((w, i) => {
    tv.setUint32(i * 4, w >>> 0, littleEndian);
  });
  const out = new Uint8Array(24 + types.length + strParts.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, littleEndian);
  v.setUint8(2, 1);
  v.setUint32(4, 24, littleEndian);
  v.setUint32(8, 0, littleEndian);
  v.setUint32(12, types.length, littleEndian);
  v.setUint32(16, types.length, littleEndian);
  v.setUint32(20, strParts.length, littleEndian);
  out.set(types, 24);
  out.set(strParts, 24 + types.length);
  return out;
}
/** String offset of the n-th string given to blob() (1-based). */
function off(strings: string[], n: number): number {
  let o = 1;
  for (let i = 0; i < n - 1; i++) o += new TextEncoder().encode(strings[i]!).length + 1;
  return o;
}
const info = (kind: number, vlen = 0, kflag = false): number => ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen;

const NAMES = [
  'int',
  'T',
  'S',
  'a',
  'b',
  'E',
  'X',
  'Y',
  'f',
  'p',
  'v',
  '.data',
  'dbl',
  'tag',
  'E64',
  'Z',
  'U',
];
const n = (s: string): number => off(NAMES, NAMES.indexOf(s) + 1);
// One type of every kind, ids in order:
//  1 INT int (4, signed, 32)      2 PTR -> 1            3 ARRAY of 1 [4] idx 1
//  4 STRUCT S {a: int @0, b: int:3 @32 (bitfield)}      5 UNION U {a: int}
//  6 ENUM E {X=-1 (signed)}       7 FWD union T         8 TYPEDEF T -> 1
//  9 VOLATILE -> 8  10 CONST -> 9  11 RESTRICT -> 2    12 FUNC_PROTO int (p: int)
// 13 FUNC f -> 12 global          14 VAR v -> 1 global 15 DATASEC .data {14 @0 size 4}
// 16 FLOAT dbl 8                  17 DECL_TAG tag -> 4 member 1   18 TYPE_TAG tag -> 1
// 19 ENUM64 E64 {Z = 2^40}
// biome-ignore format: one BTF type record per line
const ALL = [
  n('int'), info(1), 4, (1 << 24) | 32,
  0, info(2), 1,
  0, info(3), 0, 1, 1, 4,
  n('S'), info(4, 2, true), 8, n('a'), 1, 0, n('b'), 1, (3 << 24) | 32,
  n('U'), info(5, 1), 4, n('a'), 1, 0,
  n('E'), info(6, 1, true), 4, n('X'), -1,
  n('T'), info(7, 0, true), 0,
  n('T'), info(8), 1,
  0, info(9), 8,
  0, info(10), 9,
  0, info(11), 2,
  0, info(13, 1), 1, n('p'), 1,
  n('f'), info(12, 1), 12,
  n('v'), info(14), 1, 1,
  n('.data'), info(15, 1), 4, 14, 0, 4,
  n('dbl'), info(16), 8,
  n('tag'), info(17), 4, 1,
  n('tag'), info(18), 1,
  n('E64'), info(19, 1), 8, n('Z'), 0, 0x100,
];

test('parses one type of every BTF kind, in both byte orders', () => {
  for (const le of [true, false]) {
    const btf = parseBtf(blob(ALL, NAMES, le));
    assert.equal(btf.littleEndian, le);
    assert.deepEqual(
      btf.types.map((t) => t.kind),
      [
        'void',
        'int',
        'ptr',
        'array',
        'struct',
        'union',
        'enum',
        'fwd',
        'typedef',
        'volatile',
        'const',
        'restrict',
        'func_proto',
        'func',
        'var',
        'datasec',
        'float',
        'decl_tag',
        'type_tag',
        'enum64',
      ],
    );
    assert.deepEqual(btf.types[1], {
      kind: 'int',
      name: 'int',
      size: 4,
      signed: true,
      char: false,
      bool: false,
      bitOffset: 0,
      bits: 32,
    });
    assert.deepEqual(btf.types[4], {
      kind: 'struct',
      name: 'S',
      size: 8,
      members: [
        { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
        { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 3 },
      ],
    });
    assert.deepEqual(btf.types[6], {
      kind: 'enum',
      name: 'E',
      size: 4,
      signed: true,
      values: [{ name: 'X', value: -1 }],
    });
    assert.deepEqual(btf.types[7], { kind: 'fwd', name: 'T', union: true });
    assert.deepEqual(btf.types[13], { kind: 'func', name: 'f', type: 12, linkage: 'global' });
    assert.deepEqual(btf.types[15], {
      kind: 'datasec',
      name: '.data',
      size: 4,
      vars: [{ type: 14, offset: 0, size: 4 }],
    });
    assert.deepEqual(btf.types[17], { kind: 'decl_tag', name: 'tag', type: 4, componentIdx: 1 });
    assert.deepEqual(btf.types[19], {
      kind: 'enum64',
      name: 'E64',
      size: 8,
      signed: false,
      values: [{ name: 'Z', value: 1n << 40n }],
    });
    // Queries: qualifiers and typedefs resolve; sizes follow arrays and pointers.
    assert.equal(resolveId(btf, 10), 1);
    assert.equal(sizeOf(btf, 3), 16);
    assert.equal(sizeOf(btf, 11), 8);
    assert.equal(sizeOf(btf, 14), 4);
    assert.equal(findType(btf, 'T', 'typedef'), 8);
    assert.equal(findType(btf, 'T'), 7);
    assert.equal(typeName(btf, 11), 'restrict int *');
    assert.throws(() => memberOffset(btf, 4, ['b']), /bitfield/);
    assert.throws(() => sizeOf(btf, 13), /has no size/);
  }
});

test('malformed BTF gives ELF_INVALID, naming the problem', () => {
  const good = blob(ALL, NAMES);
  const bad = (mutate: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = good.slice();
    mutate(b, new DataView(b.buffer));
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 3), /too short/],
    [
      bad((b) => {
        b[0] = 0;
      }),
      /bad magic/,
    ],
    [
      bad((b) => {
        b[2] = 2;
      }),
      /version 2/,
    ],
    [bad((_b, v) => v.setUint32(12, 1 << 20, true)), /type section/],
    [bad((_b, v) => v.setUint32(24 + 4, info(25), true)), /unknown kind 25/],
    [bad((_b, v) => v.setUint32(24 + 8 + 4 * 4, 999, true)), /missing type 999/],
    [bad((_b, v) => v.setUint32(24, 1 << 20, true)), /name offset/],
    [good.subarray(0, good.length - 10), /outside|past|truncated/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(
      () => parseBtf(bytes),
      (e: unknown) => e instanceof LoadError && e.code === 'ELF_INVALID' && re.test(e.message),
    );
  }
  // A typedef loop is caught by queries rather than recursing forever.
  const loop = parseBtf(blob([n('T'), info(8), 2, n('T'), info(8), 1], NAMES));
  assert.throws(() => resolveId(loop, 1), /does not resolve/);
});

test('BTF of a clang object: struct layout, map definitions, DATASECs', () => {
  const btf = parseBtf(section('maps.o', '.BTF'));
  const flow = findType(btf, 'flow', 'struct')!;
  assert.equal(sizeOf(btf, flow), 16);
  assert.equal(memberOffset(btf, flow, ['sport']), 8);
  assert.equal(memberOffset(btf, flow, ['proto']), 12);
  assert.equal(typeName(btf, flow), 'struct flow');
  const lpm = findType(btf, 'lpm_key', 'struct')!;
  assert.equal(sizeOf(btf, lpm), 8);
  const maps = btf.types.find((t) => t.kind === 'datasec' && t.name === '.maps');
  assert.ok(maps?.kind === 'datasec');
  assert.equal(maps.vars.length, 6);
  const func = findType(btf, 'use_maps', 'func')!;
  assert.equal(btf.types[func]?.kind, 'func');
});

test('.BTF.ext gives func_info and line_info with file, line, column and text', () => {
  const btf = parseBtf(section('calls.o', '.BTF'));
  const ext = parseBtfExt(section('calls.o', '.BTF.ext'), btf);
  const text = ext.funcInfo.find((s) => s.section === '.text')!;
  // square, sum_squares, global_helper, add_step live in .text.
  assert.equal(text.records.length, 4);
  for (const r of text.records) assert.equal(btf.types[r.typeId]?.kind, 'func');
  const xdp = ext.lineInfo.find((s) => s.section === 'xdp')!;
  assert.ok(xdp.records.length > 0);
  const first = xdp.records[0]!;
  assert.equal(first.file, './calls.c');
  assert.match(first.text, /return sum_squares/);
  assert.ok(first.line > 0);
  assert.deepEqual(ext.coreRelos, []);

  const core = parseBtf(section('core.o', '.BTF'));
  const coreExt = parseBtfExt(section('core.o', '.BTF.ext'), core);
  const relos = coreExt.coreRelos.find((s) => s.section === 'kprobe/do_exit')!;
  assert.equal(relos.records.length, 1);
  assert.equal(relos.records[0]!.kind, 'FIELD_BYTE_OFFSET');
  assert.equal(relos.records[0]!.access, '0:1');
  assert.equal(typeName(core, relos.records[0]!.typeId), 'struct task_struct');
});

test('malformed .BTF.ext gives ELF_INVALID', () => {
  const btf = parseBtf(section('calls.o', '.BTF'));
  const ext = section('calls.o', '.BTF.ext');
  assert.throws(() => parseBtfExt(ext.subarray(0, 10), btf), /too short/);
  const b = ext.slice();
  new DataView(b.buffer).setUint32(12, 1 << 24, true); // func_info_len
  assert.throws(
    () => parseBtfExt(b, btf),
    (e: unknown) => e instanceof LoadError && e.code === 'ELF_INVALID',
  );
});
