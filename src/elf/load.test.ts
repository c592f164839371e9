// loadCollectionSpec on the fixture and example objects: programs, maps, global data, calls, line info.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LoadError } from '../errors.js';
import { type Instruction, slots } from '../isa/instruction.js';
import * as O from '../isa/opcodes.js';
import type { CollectionSpec, ProgramSpec } from '../program/types.js';
import { mapByName, programByName } from '../program/types.js';
import { BPF_F_RDONLY_PROG } from '../uapi/index.js';
import { loadCollectionSpec } from './load.js';
import { readElf } from './reader.js';

const root = new URL('../../../', import.meta.url);
const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, root)));
const load = (name: string): CollectionSpec => loadCollectionSpec(bytesOf(`test/fixtures/elf/${name}`));

/** Per function: its section and instruction count, from the llvm-objdump-19 listing saved at fixture time. */
function objdump(name: string): Map<string, { section: string; count: number }> {
  const out = new Map<string, { section: string; count: number }>();
  let section = '';
  let fn = '';
  for (const line of readFileSync(new URL(`test/fixtures/elf/${name}`, root), 'utf8').split('\n')) {
    const s = /^Disassembly of section (.*):$/.exec(line);
    if (s) section = s[1]!;
    const f = /^[0-9a-f]{16} <(.*)>:$/.exec(line);
    if (f) {
      fn = f[1]!;
      out.set(fn, { section, count: 0 });
    }
    if (/^\s+\d+:\t/.test(line)) out.get(fn)!.count++;
  }
  return out;
}

/** Checks a linked program: every call/callback lands on the symbol it references, every map load is symbolic. */
function checkLinked(p: ProgramSpec, spec: CollectionSpec): void {
  const symbolAt = new Map<number, string>();
  let slot = 0;
  for (const i of p.instructions) {
    if (i.symbol !== undefined) symbolAt.set(slot, i.symbol);
    slot += slots(i);
  }
  slot = 0;
  for (const i of p.instructions as Instruction[]) {
    const isCall = i.op === O.OP_CALL && i.src === O.BPF_PSEUDO_CALL;
    const isFunc = i.op === O.OP_LDDW && i.src === O.BPF_PSEUDO_FUNC;
    if (isCall || isFunc) assert.equal(symbolAt.get(slot + i.imm + 1), i.reference, `${p.name} @${slot}`);
    if (i.op === O.OP_LDDW && (i.src === O.BPF_PSEUDO_MAP_FD || i.src === O.BPF_PSEUDO_MAP_VALUE)) {
      const m = mapByName(spec, i.reference!);
      assert.ok(m, `${p.name} @${slot}: map ${i.reference}`);
      assert.equal(i.imm, 0);
      if (i.src === O.BPF_PSEUDO_MAP_VALUE) assert.ok(i.hi! >= 0 && i.hi! < m.valueSize);
    }
    slot += slots(i);
  }
  assert.equal(p.funcInfo[0]?.insnOff ?? 0, 0);
}

const FIXTURES = ['calls', 'calls-be', 'globals', 'legacy', 'mapinmap', 'maps', 'progarray'];

test('programs, sections and instruction counts agree with llvm-objdump', () => {
  for (const name of FIXTURES) {
    const spec = load(`${name}.o`);
    const dump = objdump(`${name}.objdump.txt`);
    const expected = [...dump]
      .filter(([, v]) => v.section !== '.text')
      .map(([fn, v]) => `${fn}@${v.section}`);
    assert.deepEqual(spec.programs.map((p) => `${p.name}@${p.sectionName}`).sort(), expected.sort(), name);
    for (const p of spec.programs) {
      // The entry function's own instructions come first, up to the first appended subprogram.
      const own = p.instructions.findIndex((i, k) => k > 0 && i.symbol !== undefined);
      assert.equal(own < 0 ? p.instructions.length : own, dump.get(p.name)!.count, `${name}: ${p.name}`);
      checkLinked(p, spec);
    }
  }
});

test('bpf-to-bpf calls, callbacks and several programs per section (calls.o)', () => {
  const spec = load('calls.o');
  const syms = (p: ProgramSpec): string[] =>
    p.instructions.flatMap((i) => (i.symbol === undefined ? [] : [i.symbol]));
  assert.deepEqual(syms(programByName(spec, 'first')!), ['first', 'sum_squares', 'square']);
  assert.deepEqual(syms(programByName(spec, 'second')!), ['second', 'add_step']);
  assert.deepEqual(syms(programByName(spec, 'frags')!), ['frags', 'global_helper']);
  const second = programByName(spec, 'second')!;
  const cb = second.instructions.find((i) => i.op === O.OP_LDDW && i.src === O.BPF_PSEUDO_FUNC);
  assert.equal(cb?.reference, 'add_step');
  assert.deepEqual(
    second.funcInfo.map((f) => f.name),
    ['second', 'add_step'],
  );
  const first = programByName(spec, 'first')!;
  assert.equal(first.instructions[0]!.source?.file, './calls.c');
  assert.match(first.instructions[0]!.source!.text!, /return sum_squares/);
  assert.ok(first.lineInfo.length > 3);
  const t = (n: string): Record<string, unknown> => {
    const p = programByName(spec, n)!;
    return { type: p.type, attachType: p.attachType, attachTo: p.attachTo, flags: p.flags };
  };
  assert.deepEqual(t('frags'), { type: 'XDP', attachType: 'XDP', attachTo: undefined, flags: 32 });
  assert.deepEqual(t('tcx_in'), {
    type: 'SCHED_CLS',
    attachType: 'TCX_INGRESS',
    attachTo: undefined,
    flags: 0,
  });
  assert.deepEqual(t('probe'), { type: 'KPROBE', attachType: undefined, attachTo: 'do_unlinkat', flags: 0 });
  assert.deepEqual(t('sleepy'), {
    type: 'TRACING',
    attachType: 'TRACE_FENTRY',
    attachTo: 'do_sys_open',
    flags: 16,
  });
  assert.deepEqual(t('unknown'), { type: 'UNSPEC', attachType: undefined, attachTo: undefined, flags: 0 });
  assert.equal(spec.license, 'GPL');
  assert.ok(spec.btf !== undefined);
});

test('a big-endian object gives the same programs as its little-endian twin', () => {
  const le = load('calls.o');
  const be = load('calls-be.o');
  assert.equal(be.btf?.littleEndian, false);
  assert.deepEqual(be.programs, le.programs);
});

test('BTF-defined maps of several types (maps.o)', () => {
  const spec = load('maps.o');
  const brief = spec.maps.map((m) => [
    m.name,
    m.type,
    m.keySize,
    m.valueSize,
    m.maxEntries,
    m.flags,
    m.pinning,
  ]);
  assert.deepEqual(brief, [
    ['flows', 'HASH', 16, 8, 1024, 1, 'none'],
    ['stats', 'PERCPU_ARRAY', 4, 16, 8, 0, 'none'],
    ['routes', 'LPM_TRIE', 8, 4, 16, 1, 'none'],
    ['pinned_lru', 'LRU_HASH', 4, 4, 64, 0, 'by-name'],
    ['events', 'RINGBUF', 0, 0, 4096, 0, 'none'],
    ['ports', 'DEVMAP', 4, 4, 4, 0, 'none'],
    ['.rodata.cst16', 'ARRAY', 4, 16, 1, BPF_F_RDONLY_PROG, 'none'],
  ]);
  const flows = mapByName(spec, 'flows')!;
  const keyType = spec.btf!.types[flows.btfKeyType!]!;
  assert.equal(keyType.kind === 'struct' && keyType.name, 'flow');
  assert.equal(mapByName(spec, 'stats')!.btfKeyType, undefined);
  const refs = programByName(spec, 'use_maps')!.instructions.flatMap((i) =>
    i.reference ? [i.reference] : [],
  );
  for (const m of ['flows', 'stats', 'routes', 'pinned_lru', 'events', 'ports'])
    assert.ok(refs.includes(m), m);
});

test('legacy maps, version and an object without BTF (legacy.o)', () => {
  const spec = load('legacy.o');
  assert.deepEqual(
    spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.sectionName]),
    [
      ['legacy_hash', 'HASH', 4, 8, 32, 'maps'],
      ['legacy_array', 'ARRAY', 4, 4, 2, 'maps'],
    ],
  );
  assert.equal(spec.btf, undefined);
  assert.equal(spec.version, 0x060b00);
  const p = spec.programs[0]!;
  assert.equal(p.kernelVersion, 0x060b00);
  assert.equal(p.type, 'SOCKET_FILTER');
  assert.deepEqual(p.funcInfo, []);
});

test('map-in-map: inner templates and initial slots (mapinmap.o)', () => {
  const spec = load('mapinmap.o');
  const outer = mapByName(spec, 'outer_array')!;
  assert.equal(outer.type, 'ARRAY_OF_MAPS');
  assert.equal(outer.valueSize, 4);
  assert.deepEqual(
    [
      outer.innerMap?.name,
      outer.innerMap?.type,
      outer.innerMap?.keySize,
      outer.innerMap?.valueSize,
      outer.innerMap?.maxEntries,
    ],
    ['outer_array.inner', 'ARRAY', 4, 8, 4],
  );
  assert.deepEqual(outer.contents, {
    kind: 'maps',
    slots: [
      { index: 0, map: 'inner_a' },
      { index: 2, map: 'inner_b' },
    ],
  });
  const hash = mapByName(spec, 'outer_hash')!;
  assert.equal(hash.innerMap?.type, 'HASH');
  assert.equal(hash.innerMap?.maxEntries, 16);
  assert.equal(hash.contents, undefined);
});

test('prog array with initial contents by program name (progarray.o)', () => {
  const spec = load('progarray.o');
  assert.deepEqual(mapByName(spec, 'jump_table')!.contents, {
    kind: 'programs',
    slots: [
      { index: 1, program: 'stage_one' },
      { index: 3, program: 'stage_two' },
    ],
  });
  assert.deepEqual(
    spec.programs.map((p) => p.name),
    ['stage_one', 'stage_two', 'entry'],
  );
});

test('global data: .data, .rodata, .bss and .data.* maps and variables (globals.o)', () => {
  const spec = load('globals.o');
  const data = mapByName(spec, '.data')!;
  assert.deepEqual([data.type, data.keySize, data.maxEntries, data.flags], ['ARRAY', 4, 1, 0]);
  assert.equal(data.contents?.kind, 'data');
  assert.equal(mapByName(spec, '.rodata')!.flags, BPF_F_RDONLY_PROG);
  assert.equal(mapByName(spec, '.bss')!.contents, undefined);
  assert.ok(mapByName(spec, '.data.custom'));
  const v = (n: string) => spec.variables.find((x) => x.name === n)!;
  assert.deepEqual([v('counter').map, v('counter').size, v('counter').readOnly], ['.data', 4, false]);
  assert.deepEqual([v('threshold').map, v('threshold').readOnly], ['.rodata', true]);
  assert.equal(v('total').map, '.bss');
  assert.equal(v('custom_a').map, '.data.custom');
  // Initial values sit at each variable's offset.
  const bytes = data.contents?.kind === 'data' ? data.contents.bytes : new Uint8Array();
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getInt32(v('counter').offset, true), 5);
  assert.equal(
    new TextDecoder().decode(bytes.subarray(v('greeting').offset, v('greeting').offset + 5)),
    'hello',
  );
  assert.equal(v('hidden').size, 4);
  const ds = spec.btf!.types[data.btfValueType!]!;
  assert.ok(ds.kind === 'datasec' && ds.size === data.valueSize, 'DATASEC size fixed up');
  // Loads of globals become BPF_PSEUDO_MAP_VALUE with the variable's offset in `hi`.
  const loads = programByName(spec, 'count_packets')!.instructions.filter(
    (i) => i.src === O.BPF_PSEUDO_MAP_VALUE,
  );
  assert.ok(loads.some((i) => i.reference === '.data' && i.hi === v('hidden').offset));
  assert.equal(spec.license, 'Dual MIT/GPL');
});

test('CO-RE relocations stay on the program as data, in slots of the linked program', () => {
  const spec = load('core.o');
  const p = programByName(spec, 'core_read')!;
  // `r0 = *(u32 *)(r1 + 4)`: the offset of task_struct.tgid (member 1), left as compiled.
  assert.equal(p.coreRelocations?.length, 1);
  const { typeId, ...rest } = p.coreRelocations![0]!;
  assert.deepEqual(rest, { insnOff: 0, access: '0:1', kind: 'FIELD_BYTE_OFFSET' });
  assert.equal(spec.btf!.types[typeId]?.name, 'task_struct');
  assert.equal(p.instructions[0]!.off, 4);
  // Programs without any keep no empty list, so their specs stay as they were.
  assert.ok(load('calls.o').programs.every((q) => !('coreRelocations' in q)));
});

test('relocation problems are LoadErrors naming the section', () => {
  const good = bytesOf('test/fixtures/elf/calls.o');
  const elf = readElf(good);
  const rel = elf.sections.find((s) => s.name === '.relxdp')!;
  const b = good.slice();
  b[rel.offset + 8] = 3; // first relocation's type -> R_BPF_64_ABS32
  assert.throws(
    () => loadCollectionSpec(b),
    (e: unknown) =>
      e instanceof LoadError &&
      /section xdp: relocation at offset 8: unexpected relocation type 3/.test(e.message),
  );
});

test('the same bytes always give a deep-equal spec', () => {
  for (const name of FIXTURES) {
    const bytes = bytesOf(`test/fixtures/elf/${name}.o`);
    assert.deepEqual(loadCollectionSpec(bytes), loadCollectionSpec(bytes.slice()), name);
  }
});

test('every compiled example in examples/ loads', (t) => {
  const dir = new URL('examples/', root);
  const objects = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.o')) : [];
  if (objects.length === 0) {
    t.skip('no compiled examples in examples/ yet');
    return;
  }
  for (const f of objects) {
    const spec = loadCollectionSpec(bytesOf(`examples/${f}`));
    assert.ok(spec.programs.length > 0, f);
    for (const p of spec.programs) checkLinked(p, spec);
  }
});
