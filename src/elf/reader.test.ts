// The ELF reader: headers, sections, symbols and relocations, checked against llvm-readelf listings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LoadError } from '../errors.js';
import * as E from './constants.js';
import { readElf } from './reader.js';

const root = new URL('../../../', import.meta.url);
const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`test/fixtures/elf/${name}`, root)));
const listing = (name: string): string => readFileSync(new URL(`test/fixtures/elf/${name}`, root), 'utf8');

/** Section names and symbol names from the llvm-readelf-19 listing saved at fixture time. */
function readelfFacts(text: string): { sections: string[]; symbols: string[] } {
  const sections: string[] = [];
  const symbols: string[] = [];
  for (const line of text.split('\n')) {
    const s = /^\s+\[\s*(\d+)\]\s(\S*)\s+[A-Z_]+\s/.exec(line);
    if (s) sections[Number(s[1])] = Number(s[1]) === 0 ? '' : s[2]!;
    const y = /^\s+\d+: [0-9a-f]{16}\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s?(.*)$/.exec(line);
    if (y) symbols.push(y[1]!);
  }
  return { sections, symbols };
}

test('section and symbol names agree with llvm-readelf, in both byte orders', () => {
  for (const name of ['calls', 'calls-be', 'maps', 'globals', 'legacy', 'mapinmap', 'progarray']) {
    const elf = readElf(fixture(`${name}.o`));
    const facts = readelfFacts(listing(`${name}.readelf.txt`));
    assert.deepEqual(
      elf.sections.map((s) => s.name),
      facts.sections,
      name,
    );
    assert.deepEqual(
      elf.symbols.map((s) => s.name),
      facts.symbols,
      name,
    );
    assert.equal(elf.littleEndian, name !== 'calls-be');
  }
});

test('reads relocations with their type and symbol', () => {
  const elf = readElf(fixture('calls.o'));
  const xdp = elf.sections.find((s) => s.name === 'xdp')!;
  const rels = elf.relocations.get(xdp.index)!;
  assert.ok(rels.some((r) => r.type === E.R_BPF_64_32 && elf.symbols[r.symbol]!.name === '.text'));
  assert.ok(rels.some((r) => r.type === E.R_BPF_64_64));
  const be = readElf(fixture('calls-be.o'));
  const beXdp = be.sections.find((s) => s.name === 'xdp')!;
  assert.deepEqual(
    be.relocations.get(beXdp.index)!.map((r) => [r.offset, r.type]),
    rels.map((r) => [r.offset, r.type]),
  );
});

test('rejects what is not an ELF64 EM_BPF relocatable object, naming the field', () => {
  const good = fixture('calls.o');
  const mutate = (at: number, bytes: number[]): Uint8Array => {
    const b = good.slice();
    b.set(bytes, at);
    return b;
  };
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 10), /too short/],
    [mutate(0, [0x7f, 0x45, 0x4c, 0x47]), /bad magic/],
    [mutate(4, [1]), /ELFCLASS64/],
    [mutate(5, [3]), /EI_DATA/],
    [mutate(16, [2, 0]), /ET_REL/],
    [mutate(18, [62, 0]), /e_machine 62/],
    [mutate(58, [32, 0]), /e_shentsize/],
    [mutate(60, [0xff, 0x7f]), /section header table/],
    [mutate(62, [0xf0, 0x00]), /e_shstrndx/],
    [mutate(40, [0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0]), /section header table/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(
      () => readElf(bytes),
      (e: unknown) => e instanceof LoadError && e.code === 'ELF_INVALID' && re.test(e.message),
      String(re),
    );
  }
});

test('a section whose contents lie past the end of the file is named', () => {
  const good = fixture('calls.o');
  const elf = readElf(good);
  const shoff = Number(new DataView(good.buffer).getBigUint64(40, true));
  const xdp = elf.sections.find((s) => s.name === 'xdp')!;
  const b = good.slice();
  new DataView(b.buffer).setBigUint64(shoff + xdp.index * 64 + 32, 1n << 40n, true); // sh_size
  assert.throws(() => readElf(b), new RegExp(`section ${xdp.index} contents`));
});
