// The disassembler's styles on fixed instructions: LLVM pseudo-C, the kernel's print_bpf_insn
// format, the mnemonic syntax, labels, addresses, symbol notes and undecodable slots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Instruction, insn, lddw } from '../isa/index.js';
import { disassemble, formatInstruction } from './index.js';

const cases: [Instruction, llvm: string, kernel: string, mnemonic: string][] = [
  [insn(0x61, 0, 1, 4, 0), 'r0 = *(u32 *)(r1 + 0x4)', '(61) r0 = *(u32 *)(r1 +4)', 'ldxw r0, [r1+4]'],
  [insn(0x7b, 10, 1, -8, 0), '*(u64 *)(r10 - 0x8) = r1', '(7b) *(u64 *)(r10 -8) = r1', 'stxdw [r10-8], r1'],
  [insn(0x62, 10, 0, -8, -5), '*(u32 *)(r10 - 0x8) = -0x5', '(62) *(u32 *)(r10 -8) = -5', 'stw [r10-8], -5'],
  [insn(0x2d, 1, 2, 24, 0), 'if r1 > r2 goto +0x18', '(2d) if r1 > r2 goto pc+24', 'jgt r1, r2, +24'],
  [
    insn(0x16, 1, 0, -2, -5),
    'if w1 == -0x5 goto -0x2',
    '(16) if w1 == 0xfffffffb goto pc-2',
    'jeq32 r1, -5, -2',
  ],
  [
    insn(0xdb, 0, 1, 0, 0),
    'lock *(u64 *)(r0 + 0x0) += r1',
    '(db) lock *(u64 *)(r0 +0) += r1',
    'lock add [r0], r1',
  ],
  [
    insn(0xc3, 2, 1, 0, 0xa1),
    'w1 = atomic_fetch_xor((u32 *)(r2 + 0x0), w1)',
    '(c3) r1 = atomic_fetch_xor((u32 *)(r2 +0), r1)',
    'lock fetch xor32 [r2], r1',
  ],
  [
    insn(0xdb, 2, 1, 0, 0xe1),
    'r1 = xchg_64(r2 + 0x0, r1)',
    '(db) r1 = atomic64_xchg((u64 *)(r2 +0), r1)',
    'lock xchg [r2], r1',
  ],
  [
    insn(0xdb, 2, 1, 0, 0xf1),
    'r0 = cmpxchg_64(r2 + 0x0, r0, r1)',
    '(db) r0 = atomic64_cmpxchg((u64 *)(r2 +0), r0, r1)',
    'lock cmpxchg [r2], r1',
  ],
  [insn(0x85, 0, 0, 0, 1), 'call 0x1', '(85) call bpf_map_lookup_elem#1', 'call 1'],
  [insn(0x85, 0, 1, 0, -3), 'call pc-0x3', '(85) call pc-3', 'call local -3'],
  [insn(0x85, 0, 2, 0, 77), 'call kfunc 0x4d', '(85) call kernel-function#77', 'call runtime 0x4d'],
  [
    lddw(1, 0x1122334455667788n),
    'r1 = 0x1122334455667788 ll',
    '(18) r1 = 0x1122334455667788',
    'lddw r1, 0x1122334455667788',
  ],
  [lddw(1, -1n), 'r1 = -0x1 ll', '(18) r1 = 0xffffffffffffffff', 'lddw r1, 0xffffffffffffffff'],
  [
    { ...lddw(1, 0x700000005n, 2) },
    'ld_pseudo\tr1, 0x2, 0x700000005',
    '(18) ld_pseudo r1, 2, 0x700000005',
    'lddw r1, map_val(map_by_fd(5)) + 7',
  ],
  [insn(0x84, 0, 0, 0, 0), 'w0 = -w0', '(84) w0 = -w0', 'neg32 r0'],
  [insn(0xdc, 1, 0, 0, 16), 'r1 = be16 r1', '(dc) r1 = be16 r1', 'be16 r1'],
  [insn(0xd7, 1, 0, 0, 64), 'r1 = bswap64 r1', '(d7) r1 = bswap64 r1', 'bswap64 r1'],
  [insn(0xbf, 1, 2, 8, 0), 'r1 = (s8)r2', '(bf) r1 = (s8)r2', 'movsx864 r1, r2'],
  [insn(0x3c, 1, 2, 1, 0), 'w1 s/= w2', '(3c) w1 s/= w2', 'sdiv32 r1, r2'],
  [insn(0x97, 1, 0, 1, 3), 'r1 s%= 0x3', '(97) r1 s%= 3', 'smod r1, 3'],
  [insn(0x89, 0, 1, 2, 0), 'r0 = *(s16 *)(r1 + 0x2)', '(89) r0 = *(s16 *)(r1 +2)', 'ldxsh r0, [r1+2]'],
  [insn(0x06, 0, 0, 0, 3), 'gotol +0x3', '(06) gotol pc+3', 'ja32 +3'],
  [insn(0x8d, 1, 0, 0, 0), 'callx r1', '(8d) callx r1', 'callx r1'],
  [insn(0x30, 0, 0, 0, 12), 'r0 = *(u8 *)skb[0xc]', '(30) r0 = *(u8 *)skb[12]', 'ldabsb 0xc'],
  [insn(0x50, 0, 3, 0, 2), 'r0 = *(u8 *)skb[r3 + 0x2]', '(50) r0 = *(u8 *)skb[r3 + 2]', 'ldindb r3, 2'],
  [insn(0xb7, 0, 0, 0, 0x12345678), 'r0 = 0x12345678', '(b7) r0 = 305419896', 'mov r0, 0x12345678'],
];

test('each instruction in the three styles', () => {
  const helperName = (id: number) => (id === 1 ? 'bpf_map_lookup_elem' : undefined);
  for (const [i, llvm, kernel, mnemonic] of cases) {
    assert.equal(formatInstruction(i), llvm);
    assert.equal(formatInstruction(i, 0, { numbers: 'kernel', helperName }), kernel);
    assert.equal(formatInstruction(i, 0, { syntax: 'mnemonic' }), mnemonic);
  }
});

test('exact mode prints what llvm-objdump and the kernel print, dropping what they drop', () => {
  const exact = { exact: true } as const;
  assert.equal(formatInstruction(insn(0x85, 0, 1, 0, -1), 0, exact), 'call -0x1');
  assert.equal(formatInstruction(insn(0x85, 0, 2, 3, 77), 0, exact), 'call 0x4d');
  assert.equal(formatInstruction({ ...lddw(1, 0x700000005n, 2) }, 0, exact), 'ld_pseudo\tr1, 0x2, 0x5');
  assert.equal(formatInstruction(insn(0x50, 0, 3, 0, 2), 0, exact), 'r0 = *(u8 *)skb[r3]');
  assert.equal(formatInstruction({ ...lddw(1, 5n, 1) }, 0, { ...exact, numbers: 'kernel' }), '(18) r1 = 0x5');
  assert.equal(
    formatInstruction(insn(0x85, 0, 2, 3, 77), 0, { ...exact, numbers: 'kernel' }),
    '(85) call kernel-function#77',
  );
  assert.equal(formatInstruction(insn(0x85, 0, 0, 0, 9), 0, { numbers: 'kernel' }), '(85) call unknown#9');
});

test('alu32 prints sub-64-bit loads, stores and atomics with w registers', () => {
  const o = { alu32: true };
  assert.equal(formatInstruction(insn(0x71, 0, 1, 4, 0), 0, o), 'w0 = *(u8 *)(r1 + 0x4)');
  assert.equal(formatInstruction(insn(0x91, 0, 1, 4, 0), 0, o), 'r0 = *(s8 *)(r1 + 0x4)');
  assert.equal(formatInstruction(insn(0x63, 10, 1, -4, 0), 0, o), '*(u32 *)(r10 - 0x4) = w1');
  assert.equal(formatInstruction(insn(0xc3, 0, 1, 0, 0), 0, o), 'lock *(u32 *)(r0 + 0x0) += w1');
  assert.equal(formatInstruction(insn(0xc3, 0, 1, 0, 0)), 'lock *(u32 *)(r0 + 0x0) += r1');
});

test('labels, addresses, symbols and the objdump target note', () => {
  const p: Instruction[] = [
    { ...insn(0xb7, 0, 0, 0, 0), symbol: 'prog' },
    insn(0x15, 1, 0, 2, 0),
    lddw(2, 1n),
    insn(0x85, 0, 1, 0, 1),
    insn(0x95, 0, 0, 0, 0),
    insn(0x95, 0, 0, 0, 0),
  ];
  assert.equal(
    disassemble(p, { labels: true }),
    'prog:\nr0 = 0x0\nif r1 == 0x0 goto L4\nr2 = 0x1 ll\nL4:\ncall L6\nexit\nL6:\nexit\n',
  );
  assert.equal(
    disassemble(p, { addresses: true, symbols: [{ name: 'prog', offset: 0 }] }).split('\n')[2],
    '       1:\tif r1 == 0x0 goto +0x2 <prog+0x20>',
  );
  assert.equal(disassemble(p, { numbers: 'kernel', addresses: true }).split('\n')[3], '2: (18) r2 = 0x1');
  assert.equal(disassemble(p, { syntax: 'mnemonic', labels: true }).split('\n')[2], 'jeq r1, 0, L4');
  assert.equal(disassemble([]), '');
});

test('what classify rejects prints as <unknown>, never throws', () => {
  assert.equal(formatInstruction(insn(0xff, 0, 0, 0, 0)), '<unknown>');
  assert.equal(formatInstruction(insn(0x07, 1, 2, 0, 5)), '<unknown>');
  assert.equal(disassemble([insn(0xbf, 11, 0, 0, 0)]), '<unknown>\n');
});
