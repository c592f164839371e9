// Property tests: for random valid programs, assemble(disassemble(p)) gives p back, in every
// syntax and number style that promises it (all but `exact`), with and without labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { arbInstruction, arbProgram } from '../../test/gen/instructions.js';
import { classify, encode, type Instruction } from '../isa/index.js';
import { assemble, type DisassembleOptions, disassemble } from './index.js';

const RUNS = 400;

const STYLES: Record<string, DisassembleOptions> = {
  'pseudo-c llvm': {},
  'pseudo-c llvm alu32': { alu32: true },
  'pseudo-c llvm addresses': { addresses: true },
  'pseudo-c kernel': { numbers: 'kernel' },
  'pseudo-c kernel, no opcodes': { numbers: 'kernel', opcodes: false },
  'pseudo-c kernel addresses': { numbers: 'kernel', addresses: true },
  mnemonic: { syntax: 'mnemonic' },
  'mnemonic addresses': { syntax: 'mnemonic', addresses: true },
};

for (const [name, options] of Object.entries(STYLES)) {
  test(`round trip: ${name}`, () => {
    fc.assert(
      fc.property(arbProgram(), (p) => {
        const text = disassemble(p, options);
        assert.deepEqual(assemble(text), p, text);
      }),
      { numRuns: RUNS },
    );
  });
}

for (const syntax of ['pseudo-c', 'mnemonic'] as const) {
  test(`round trip with labels: ${syntax} (forced syntax)`, () => {
    fc.assert(
      fc.property(arbProgram(), (p) => {
        const text = disassemble(p, { syntax, labels: true });
        const back = assemble(text, { syntax });
        assert.deepEqual(encode(back), encode(p), text);
      }),
      { numRuns: RUNS },
    );
  });
}

test('every instruction kind turns up in the generator', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(arbInstruction, (i: Instruction) => {
      const k = classify(i);
      seen.add(k.kind === 'call' ? `call-${k.target}` : k.kind === 'atomic' ? `atomic-${k.op}` : k.kind);
    }),
    { numRuns: 20000 },
  );
  const want = [
    'alu',
    'endian',
    'jmp',
    'ja',
    'call-helper',
    'call-local',
    'call-kfunc',
    'callx',
    'exit',
    'lddw',
  ];
  want.push('ldpkt', 'load', 'store', 'atomic-add', 'atomic-xchg', 'atomic-cmpxchg');
  for (const k of want) assert.ok(seen.has(k), `generator never produced ${k}`);
});
