// The disassembler against llvm-objdump-19: every code section under test/fixtures/asm/
// (raw bytes cut out by scripts/fixtures/asm.sh) must print line for line as objdump printed
// it, plain and with --mcpu=v4 (our `alu32`). When llvm-objdump-19 and clang-19 are installed,
// random programs are also checked live against them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { arbProgram } from '../../test/gen/instructions.js';
import { toolSkip } from '../../test/tools.js';
import { classify, decode, encode, type Instruction, readSlot } from '../isa/index.js';
import { assemble, type DisassembleOptions, disassemble, type SymbolAt } from './index.js';

const root = new URL('../../../', import.meta.url);
const dir = new URL('test/fixtures/asm/', root);

/** `slot -> text` from objdump output lines `      12:\tr0 = ...`. */
function instructionLines(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^ *(\d+):\t(.*)$/.exec(line);
    if (m !== null) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

function symbolsOf(text: string): SymbolAt[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [offset, name] = l.split(' ');
      return { offset: Number(offset), name: name! };
    });
}

/**
 * Plain llvm-objdump (no alu32) cannot decode 32-bit atomics other than `lock +=`: it prints
 * `<unknown>`, or for a 32-bit fetch-add, the non-fetching `lock ... += r1`. We print them as
 * --mcpu=v4 does; these lines are compared against the .v4.objdump output only.
 */
function plainObjdumpGap(i: Instruction): boolean {
  const k = classify(i);
  return k.kind === 'atomic' && k.bytes === 4 && (k.fetch || k.op !== 'add');
}

function compare(
  program: Instruction[],
  expected: string,
  options: DisassembleOptions,
  gap?: (i: Instruction) => boolean,
) {
  const want = instructionLines(expected);
  const got = instructionLines(disassemble(program, { ...options, addresses: true, exact: true }));
  assert.deepEqual([...got.keys()], [...want.keys()], 'the same slots carry instructions');
  let slot = 0;
  let skipped = 0;
  for (const i of program) {
    if (gap?.(i) === true) skipped++;
    else assert.equal(got.get(slot), want.get(slot), `slot ${slot}`);
    slot += i.op === 0x18 ? 2 : 1;
  }
  return { compared: want.size - skipped, skipped };
}

const sections = readdirSync(dir)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => f.slice(0, -4));

test('fixtures exist for every source', () => {
  assert.ok(sections.length >= 8, `found ${sections.length} sections`);
  for (const src of ['prog-v3', 'prog-v4', 'v4', 'forms']) {
    assert.ok(
      sections.some((s) => s.startsWith(`${src}--`)),
      `no section for ${src}`,
    );
  }
});

for (const base of sections) {
  const read = (ext: string) => readFileSync(new URL(`${base}${ext}`, dir), 'utf8');
  const program = decode(new Uint8Array(readFileSync(new URL(`${base}.bin`, dir))));
  const symbols = symbolsOf(read('.syms'));

  test(`${base}: matches llvm-objdump-19 --mcpu=v4 (alu32)`, () => {
    const r = compare(program, read('.v4.objdump'), { symbols, alu32: true });
    assert.equal(r.skipped, 0);
    assert.ok(r.compared > 0);
  });

  test(`${base}: matches plain llvm-objdump-19`, () => {
    const r = compare(program, read('.objdump'), { symbols }, plainObjdumpGap);
    assert.ok(r.compared > 0);
  });

  test(`${base}: assembling objdump's own text gives the bytes back`, () => {
    // objdump's lines (address column included) are valid input, except where `exact`
    // output drops fields: local/kfunc calls and ld_pseudo read back as something else.
    const text = read('.v4.objdump')
      .split('\n')
      .filter((l) => /^ *\d+:\t/.test(l))
      .join('\n');
    const back = assemble(text);
    const lossy = (i: Instruction) => {
      const k = classify(i);
      return (
        (k.kind === 'call' && k.target !== 'helper') ||
        (k.kind === 'lddw' && k.pseudo !== 0) ||
        (k.kind === 'ldpkt' && i.imm !== 0 && k.indirect)
      );
    };
    assert.equal(back.length, program.length);
    program.forEach((i, n) => {
      if (!lossy(i)) assert.deepEqual(back[n], i, `instruction ${n}: ${text.split('\n')[n]}`);
    });
  });
}

test('live: random programs print as llvm-objdump-19 prints them', (t) => {
  const missing = toolSkip('apt-get install clang-19 llvm-19', 'llvm-objdump-19', 'clang-19');
  if (missing !== undefined) {
    t.skip(missing);
    return;
  }
  const programs = fc.sample(arbProgram(60), { numRuns: 200, seed: 7 });
  const program = programs.flat();
  const bytes = encode(program);
  // One `.quad` per slot: clang assembles raw words, objdump decodes them.
  const quads: string[] = [];
  for (let s = 0; s < bytes.length / 8; s++) {
    const r = readSlot(bytes, s);
    const lo =
      (BigInt(r.op) | (BigInt((r.src << 4) | r.dst) << 8n) | (BigInt(r.off & 0xffff) << 16n)) & 0xffffffffn;
    quads.push(`\t.quad 0x${((BigInt(r.imm >>> 0) << 32n) | lo).toString(16)}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'tsbpf-asm-'));
  try {
    writeFileSync(join(work, 'r.s'), `\t.text\n\t.globl f\nf:\n${quads.join('\n')}\n`);
    execFileSync('clang-19', ['-target', 'bpf', '-c', join(work, 'r.s'), '-o', join(work, 'r.o')]);
    const dump = (extra: string[]) =>
      execFileSync('llvm-objdump-19', ['-d', '--no-show-raw-insn', ...extra, join(work, 'r.o')], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
    const symbols = [{ name: 'f', offset: 0 }];
    const v4 = compare(program, dump(['--mcpu=v4']), { symbols, alu32: true });
    const plain = compare(program, dump([]), { symbols }, plainObjdumpGap);
    t.diagnostic(
      `${program.length} instructions; ${v4.compared} compared with --mcpu=v4, ${plain.compared} plain`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
