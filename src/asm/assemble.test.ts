// The assembler on hand-written text: both syntaxes, the kernel log's spellings, labels,
// comments, numbers, and the errors (line, column, what was expected) for bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AsmError, NotSupportedError } from '../errors.js';
import { encode, type Instruction, insn, lddw } from '../isa/index.js';
import { assemble } from './index.js';

const bytes = (p: Instruction[]) => Array.from(encode(p));

test('pseudo-C and mnemonic spell the same instructions', () => {
  const pairs: [string, string][] = [
    ['r0 = 1', 'mov r0, 1'],
    ['w1 += w2', 'add32 r1, r2'],
    ['r0 = *(u32 *)(r1 + 4)', 'ldxw r0, [r1+4]'],
    ['*(u64 *)(r10 - 8) = r1', 'stxdw [r10-8], r1'],
    ['*(u32 *)(r1 + 2) = 5', 'stw [r1+2], 5'],
    ['if r1 > r2 goto +24', 'jgt r1, r2, +24'],
    ['if w1 s<= -3 goto -2', 'jsle32 r1, -3, -2'],
    ['r0 = 0x1122334455667788 ll', 'lddw r0, 0x1122334455667788'],
    ['r1 = be16 r1', 'be16 r1'],
    ['r1 = le32 r1', 'le32 r1'],
    ['r1 = bswap64 r1', 'bswap64 r1'],
    ['r1 = bswap16 r1', 'swap16 r1'],
    ['call 1', 'call 1'],
    ['exit', 'exit'],
    ['r1 = -r1', 'neg r1'],
    ['w1 = -w1', 'neg32 r1'],
    ['r1 s/= r2', 'sdiv r1, r2'],
    ['w1 s%= 3', 'smod32 r1, 3'],
    ['r1 = (s8)r2', 'movsx864 r1, r2'],
    ['w1 = (s16)w2', 'movsx1632 r1, r2'],
    ['r1 = (s32)r2', 'movsx32 r1, r2'],
    ['r0 = *(s16 *)(r1 + 2)', 'ldxsh r0, [r1+2]'],
    ['gotol +0x10', 'ja32 +16'],
    ['callx r3', 'call r3'],
    ['lock *(u64 *)(r1 + 0) += r2', 'lock add [r1], r2'],
    ['lock *(u32 *)(r1 + 0) |= w2', 'lock or32 [r1], r2'],
    ['r2 = atomic_fetch_xor((u64 *)(r1 + 8), r2)', 'lock fetch xor [r1+8], r2'],
    ['r2 = xchg_64(r1 + 0, r2)', 'lock xchg [r1], r2'],
    ['w0 = cmpxchg32_32(r1 + 0, w0, w2)', 'lock cmpxchg32 [r1], r2'],
    ['r0 = *(u16 *)skb[12]', 'ldabsh 12'],
    ['r0 = *(u8 *)skb[r3 + 2]', 'ldindb r3, 2'],
    ['call pc+3', 'call local +3'],
    ['call kfunc 77', 'call runtime 77'],
  ];
  for (const [pseudo, mnemonic] of pairs) {
    assert.deepEqual(assemble(pseudo), assemble(mnemonic), `${pseudo}  vs  ${mnemonic}`);
    assert.deepEqual(assemble(pseudo, { syntax: 'pseudo-c' }), assemble(mnemonic, { syntax: 'mnemonic' }));
  }
});

test('encodings of a few forms, checked by hand against RFC 9669', () => {
  assert.deepEqual(assemble('r0 = *(u32 *)(r1 + 0x4)'), [insn(0x61, 0, 1, 4, 0)]);
  assert.deepEqual(assemble('lock *(u64 *)(r0 + 0x0) += r1'), [insn(0xdb, 0, 1, 0, 0)]);
  assert.deepEqual(assemble('r1 = atomic_fetch_add((u64 *)(r2 + 0x0), r1)'), [insn(0xdb, 2, 1, 0, 1)]);
  assert.deepEqual(assemble('r0 = cmpxchg_64(r2 + 0x0, r0, r1)'), [insn(0xdb, 2, 1, 0, 0xf1)]);
  assert.deepEqual(assemble('w1 s/= w2'), [insn(0x3c, 1, 2, 1, 0)]);
  assert.deepEqual(assemble('r1 = (s16)r2'), [insn(0xbf, 1, 2, 16, 0)]);
  assert.deepEqual(assemble('gotol +0x3'), [insn(0x06, 0, 0, 0, 3)]);
  assert.deepEqual(assemble('callx r1'), [insn(0x8d, 1, 0, 0, 0)]);
  assert.deepEqual(assemble('r0 = *(u8 *)skb[0xc]'), [insn(0x30, 0, 0, 0, 12)]);
  assert.deepEqual(assemble('r1 = 0x1122334455667788 ll'), [lddw(1, 0x1122334455667788n)]);
  assert.deepEqual(assemble('r1 = -0x1 ll'), [lddw(1, -1n)]);
  assert.deepEqual(assemble('w1 = 0xffffffff'), [insn(0xb4, 1, 0, 0, -1)]);
  assert.deepEqual(assemble('ld_pseudo r1, 2, 0x700000005'), [{ ...lddw(1, 0x700000005n, 2) }]);
  assert.deepEqual(assemble('lddw r1, map_val(map_by_fd(5)) + 7'), [{ ...lddw(1, 0x700000005n, 2) }]);
  assert.deepEqual(assemble('lddw r1, code_addr(9)'), [{ ...lddw(1, 9n, 4) }]);
});

test('labels: forward and backward jumps count slots, lddw counts two', () => {
  const p = assemble(`
    start: r1 = 0x100000000 ll
           if r1 == 0 goto done
           goto start
    done:  exit
  `);
  assert.deepEqual(
    bytes(p),
    bytes([lddw(1, 0x100000000n), insn(0x15, 1, 0, 1, 0), insn(0x05, 0, 0, -4, 0), insn(0x95, 0, 0, 0, 0)]),
  );
  assert.equal(p[0]!.symbol, 'start');
  assert.equal(p[3]!.symbol, 'done');
  // Mnemonic labels, `call local` to a function, gotol to a label.
  const m = assemble('mov r0, 0\ncall local f\nja32 end\nf:\nmov r0, 1\nexit\nend:\nexit');
  assert.equal(m[1]!.imm, 1);
  assert.equal(m[1]!.src, 1);
  assert.equal(m[2]!.imm, 2);
});

test('a call to a name that is not in the text is left for the linker', () => {
  const [c] = assemble('call bpf_helper_fn');
  assert.deepEqual(c, { op: 0x85, dst: 0, src: 1, off: 0, imm: -1, reference: 'bpf_helper_fn' });
  const [l] = assemble('r1 = my_map ll');
  assert.equal(l!.reference, 'my_map');
});

test('comments of every kind, blank lines and directives are skipped', () => {
  const p = assemble(`
    # a shell-style comment
    .text
    .globl prog
    /* a block
       comment */ r0 = 0   // trailing
    ; the verifier log's source lines start with ';'
    exit # trailing hash comment
  `);
  assert.deepEqual(p, [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)]);
});

test('objdump and verifier log lines assemble, addresses and opcodes included', () => {
  const objdump = assemble(`
       0:\tr6 = r1
       1:\tif r0 == 0x0 goto +0xa <prog+0xa0>
       2:\tr1 = 0x0 ll
  `);
  assert.deepEqual(bytes(objdump), bytes([insn(0xbf, 6, 1, 0, 0), insn(0x15, 0, 0, 10, 0), lddw(1, 0n)]));
  const log = assemble(`
    0: (b7) r0 = 0
    1: (61) r2 = *(u32 *)(r1 +4)
    2: (15) if r2 == 0xfffffffb goto pc+2
    3: (85) call bpf_map_lookup_elem#1
    4: (18) r1 = 0xffffffff
    6: (db) r1 = atomic64_fetch_add((u64 *)(r2 +0), r1)
    7: (85) call pc-3
    8: (95) exit
  `);
  assert.deepEqual(
    bytes(log),
    bytes([
      insn(0xb7, 0, 0, 0, 0),
      insn(0x61, 2, 1, 4, 0),
      insn(0x15, 2, 0, 2, -5),
      insn(0x85, 0, 0, 0, 1),
      lddw(1, 0xffffffffn),
      insn(0xdb, 2, 1, 0, 1),
      insn(0x85, 0, 1, 0, -3),
      insn(0x95, 0, 0, 0, 0),
    ]),
  );
});

test('bpf_conformance test text: %r registers, labels, the default exit label', () => {
  const p = assemble(`
    mov %r0, 0
    stdw [%r10-8], 0x88776655
    jne %r0, 15, failed
    ja exit
    failed:
    mov %r0, -1
    exit
  `);
  assert.deepEqual(p[1], insn(0x7a, 10, 0, -8, 0x88776655 | 0));
  assert.equal(p[2]!.off, 1);
  assert.equal(p[3]!.off, 1); // `exit` names the first exit instruction
});

test('numbers: decimal, hex, signed, and 32-bit wrap-around of unsigned spellings', () => {
  assert.equal(assemble('r1 += -0x10')[0]!.imm, -16);
  assert.equal(assemble('add r1, 0xffffffff')[0]!.imm, -1);
  assert.equal(assemble('r1 = *(u8 *)(r2 - 0x8000)')[0]!.off, -32768);
  assert.equal(assemble('goto -0x8000')[0]!.off, -32768);
});

function rejects(text: string, line: number, column: number, message: RegExp) {
  assert.throws(
    () => assemble(text),
    (e: unknown) => {
      assert.ok(e instanceof AsmError, `not an AsmError: ${e}`);
      assert.equal(e.code, 'ASM_SYNTAX');
      assert.match(e.message, message);
      assert.equal(`${e.line}:${e.column}`, `${line}:${column}`, e.message);
      return true;
    },
  );
}

test('errors name the line, the column and what was expected', () => {
  rejects('r0 = 0\nr1 ++ 2', 2, 4, /expected an assignment/);
  rejects('r11 = 1', 1, 1, /no register r11/);
  rejects('goto nowhere', 1, 6, /undefined label 'nowhere'/);
  rejects('x:\nx:\nexit', 2, 1, /label 'x' is already defined on line 1/);
  rejects('r0 = *(u32 *)(r1 + 4', 1, 21, /expected '\)', found end of line/);
  rejects('r0 = *(u128 *)(r1 + 4)', 1, 8, /expected a type/);
  rejects('frobnicate r1, r2', 1, 1, /unknown instruction 'frobnicate'/);
  rejects('w1 += r2', 1, 7, /expected a w register/);
  rejects('r1 = 0x80000000', 1, 6, /write '2147483648 ll'/);
  rejects('r1 = *(u8 *)(r2 + 40000)', 1, 17, /out of range/);
  rejects('r2 = *(u8 *)skb[4]', 1, 1, /always load into r0/);
  rejects('r1 = atomic_fetch_add((u64 *)(r2 + 0), r3)', 1, 40, /expected r1/);
  rejects('/* never closed\nexit', 1, 1, /unterminated/);
  rejects('.quad 5', 1, 1, /unsupported directive/);
  rejects('ldxw r0 [r1]', 1, 9, /expected ','/);
  rejects('(b7) r0 = *(u32 *)(r1 + 0)', 1, 1, /opcode prefix \(b7\) does not match/);
  rejects('exit now', 1, 6, /expected end of line/);
  rejects('r1 = 5 @', 1, 8, /unexpected character/);
  rejects('lock fetch nand [r1], r2', 1, 12, /expected an atomic operation/);
});

test('newer instructions the ISA does not model yet are NotSupportedError', () => {
  assert.throws(() => assemble('may_goto +3'), NotSupportedError);
  assert.throws(() => assemble('r1 = load_acquire((u64 *)(r2 + 0))'), NotSupportedError);
});

test('garbage never crashes: every failure is an AsmError', () => {
  const alphabet = fc.constantFrom(
    ...'r0w1 =+-*/()[]<>:,#;&|^%s.xl0123456789abcdefgotif\nlockcall'.split(''),
  );
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
      try {
        assemble(chars.join(''));
      } catch (e) {
        assert.ok(e instanceof AsmError || e instanceof NotSupportedError, `${e}`);
      }
    }),
    { numRuns: 3000 },
  );
});
