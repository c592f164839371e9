// Round-trip and strictness tests for the instruction codec and classifier.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInstructionError } from '../errors.js';
import { decode, encode, readSlot } from './codec.js';
import { type Instruction, insn, lddw, lddwValue } from './instruction.js';
import { classify, opcodeOf } from './kind.js';

/** A field assignment that makes each opcode valid, if one exists. */
function candidates(op: number): Instruction[] {
  const out: Instruction[] = [];
  for (const dst of [0, 1])
    for (const src of [0, 1, 2, 3])
      for (const off of [0, 1, 8, 16, 32])
        for (const imm of [0, 1, 16, 32, 64, 0xe1, 0xf1, 0x41]) {
          out.push(op === 0x18 ? { ...insn(op, dst, src, off, imm), hi: 0 } : insn(op, dst, src, off, imm));
        }
  return out;
}

test('every valid opcode round-trips through encode/decode and opcodeOf', () => {
  let valid = 0;
  const seen = new Set<number>();
  for (let op = 0; op < 256; op++) {
    for (const i of candidates(op)) {
      let kind: ReturnType<typeof classify>;
      try {
        kind = classify(i);
      } catch (e) {
        assert.ok(e instanceof InvalidInstructionError);
        continue;
      }
      valid++;
      seen.add(op);
      assert.equal(opcodeOf(kind), op, `opcodeOf(${JSON.stringify(kind)})`);
      for (const littleEndian of [true, false]) {
        const bytes = encode([i], { littleEndian });
        assert.deepEqual(decode(bytes, { littleEndian }), [i]);
      }
    }
  }
  // Opcode bytes: ALU 27, ALU64 26, JMP 26 (with callx), JMP32 23, LD 7, LDX 7, ST 4, STX 6.
  assert.equal(seen.size, 126);
  assert.ok(valid > 0);
});

test('lddw carries a 64-bit immediate over two slots', () => {
  const i = lddw(3, 0x1122334455667788n);
  assert.equal(lddwValue(i), 0x1122334455667788n);
  const bytes = encode([i]);
  assert.equal(bytes.length, 16);
  assert.equal(readSlot(bytes, 1).imm, 0x11223344);
  assert.deepEqual(decode(bytes), [i]);
  assert.equal(lddwValue(lddw(0, -1n)), 0xffffffffffffffffn);
});

test('strict mode names the reserved field, lenient mode accepts it', () => {
  const bad = insn(0x07, 1, 2, 0, 5); // add r1, 5 with src=r2
  assert.throws(
    () => classify(bad, { pc: 7 }),
    (e: unknown) => e instanceof InvalidInstructionError && e.field === 'src' && /insn 7/.test(e.message),
  );
  assert.deepEqual(classify(bad, { strict: false }), { kind: 'alu', alu64: true, op: 'add', reg: false });
});

test('rejects unknown opcodes, bad registers and truncated lddw', () => {
  assert.throws(() => classify(insn(0xff, 0, 0, 0, 0)), /unknown opcode/);
  assert.throws(() => classify(insn(0xbf, 11, 1, 0, 0)), /invalid register r11/);
  assert.throws(() => decode(encode([lddw(1, 5n)]).subarray(0, 8)), /second slot/);
  assert.throws(() => decode(new Uint8Array(7)), /multiple of 8/);
});

test('signed division, movsx and byte swaps decode to their kinds', () => {
  assert.equal(
    classify(insn(0x3f, 1, 2, 1, 0)).kind === 'alu' &&
      (classify(insn(0x3f, 1, 2, 1, 0)) as { op: string }).op,
    'sdiv',
  );
  assert.deepEqual(classify(insn(0xbf, 1, 2, 32, 0)), {
    kind: 'alu',
    alu64: true,
    op: 'movsx',
    reg: true,
    ext: 32,
  });
  assert.throws(() => classify(insn(0xbc, 1, 2, 32, 0)), /invalid offset/);
  assert.deepEqual(classify(insn(0xd7, 1, 0, 0, 64)), { kind: 'endian', order: 'bswap', bits: 64 });
  assert.deepEqual(classify(insn(0xdc, 1, 0, 0, 16)), { kind: 'endian', order: 'be', bits: 16 });
  assert.deepEqual(classify(insn(0xdb, 1, 2, 4, 0xf1)), {
    kind: 'atomic',
    op: 'cmpxchg',
    fetch: true,
    bytes: 8,
  });
  assert.throws(() => classify(insn(0xdb, 1, 2, 4, 0xe0)), /unknown atomic/);
});
