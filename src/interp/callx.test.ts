// callx (BPF_JMP | BPF_CALL | BPF_X, the register in dst) in both conventions that exist: a
// function address (Linux, clang's function pointers: lddw src_reg 4) calls that function; a
// helper ID (uBPF and the bpf_conformance suite) calls that helper. Anything else faults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import { RuntimeFault } from '../errors.js';
import { op as O } from '../isa/index.js';
import { FUNC_BASE, FUNC_HI, type HelperFn } from '../runtime/index.js';
import { callx, exit, ld64, mov } from './test-builders.js';

const double: HelperFn = (_env, a) => a * 2n;
const helpers = new Map([[5, double]]);

test('callx with a helper ID in its register calls that helper with r1-r5', () => {
  const vm = new Interpreter([mov('r1', 21), mov('r2', 5), callx('r2'), exit()], { helpers });
  assert.equal(vm.run().r0, 42n);
});

test('callx with a function address calls the function, not a helper of that number', () => {
  // The address of slot 4 is FUNC_BASE + 32 with high word FUNC_HI; a helper registered under
  // its low word must not be what runs.
  const program = [
    ld64('r2', 3n, O.BPF_PSEUDO_FUNC), // slot 0 + 3 + 1 = 4 (the lddw takes slots 0-1)
    callx('r2'),
    exit(),
    mov('r0', 7), // slot 4: fn
    exit(),
  ];
  const r0 = new Interpreter(program, { helpers: new Map([[(FUNC_BASE + 32) | 0, double]]) }).run().r0;
  assert.equal(r0, 7n);
});

test('the bpf_conformance callx case: helper 5 (unwind) returns r1 and the program goes on', () => {
  const unwind: HelperFn = (env, a) => {
    if (a === 0n) env.exit = true;
    return a;
  };
  const vm = new Interpreter([mov('r1', -1), mov('r2', 5), callx('r2'), mov('r0', 2), exit()], {
    helpers: new Map([[5, unwind]]),
  });
  assert.equal(vm.run().r0, 2n);
});

const faultsAt = (pc: number, value: RegExp) => (e: unknown) =>
  e instanceof RuntimeFault && e.pc === pc && value.test(e.message);

test('callx to a helper ID the table lacks faults, naming the pc and the value', () => {
  const vm = new Interpreter([mov('r2', 9), callx('r2'), exit()], { helpers });
  assert.throws(() => vm.run(), faultsAt(1, /callx to 0x9: .*no helper #9/));
  assert.throws(() => new Interpreter([mov('r2', 5), callx('r2'), exit()]).run(), faultsAt(1, /0x5/));
});

test('callx to anything else faults: negative, above 2^31, a bad function address, a data address', () => {
  const cases: [bigint, RegExp][] = [
    [-1n, /0xffffffffffffffff: neither/],
    [0x8000_0000n, /0x80000000: neither/],
    [1n << 32n, /0x100000000: neither/],
    [(BigInt(FUNC_HI) << 32n) | BigInt(FUNC_BASE + 4), /0xffffffffc0000004: neither/], // not 8-aligned
    [(BigInt(FUNC_HI) << 32n) | BigInt(FUNC_BASE + 8 * 100), /neither/], // past the program
    [0x10000n + 64n, /neither|no helper/],
  ];
  for (const [value, message] of cases) {
    const vm = new Interpreter([ld64('r3', value), callx('r3'), exit()], { helpers });
    assert.throws(() => vm.run(), faultsAt(2, message), `callx to 0x${value.toString(16)}`);
  }
});

test('callx to the second half of an lddw faults', () => {
  const program = [ld64('r2', 0n, O.BPF_PSEUDO_FUNC), callx('r2'), exit()];
  // slot 1 is the lddw's second half: address FUNC_BASE + 8 (imm 0 names slot 1).
  assert.throws(() => new Interpreter(program).run(), faultsAt(2, /neither/));
});
