// Run control: the instruction budget, the step hook (stepping, stopping, editing registers),
// faults for falling off the end and for bad jumps, and the legacy LD_ABS/LD_IND packet loads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import { BudgetExceededError, ClosedError, RuntimeFault } from '../errors.js';
import type { Instruction } from '../isa/index.js';
import { AddressSpace } from '../runtime/index.js';
import { alu64, exit, ja, jmp, ld64, ldabs, ldind, ldx, mov, stx } from './test-builders.js';

const loop = [
  mov('r0', 0),
  mov('r1', 5),
  alu64('add', 'r0', 1),
  alu64('sub', 'r1', 1),
  jmp('jne', 'r1', 0, -3),
  exit(),
];
const LOOP_STEPS = 2 + 3 * 5 + 1;

test('the budget allows exactly that many instructions', () => {
  assert.equal(new Interpreter(loop, { budget: LOOP_STEPS }).run().steps, LOOP_STEPS);
  assert.throws(() => new Interpreter(loop, { budget: LOOP_STEPS - 1 }).run(), BudgetExceededError);
  assert.throws(() => new Interpreter(loop).run([], { budget: 3 }), BudgetExceededError);
  const forever = new Interpreter([mov('r0', 0), ja(-1)], { budget: 1000 });
  assert.throws(
    () => forever.run(),
    (e: unknown) =>
      e instanceof BudgetExceededError &&
      e.budget === 1000 &&
      e.pc === 1 &&
      e.code === 'INSN_BUDGET_EXCEEDED',
  );
});

test('a straight-line run longer than the budget also fails', () => {
  const straight = [mov('r0', 1), mov('r0', 2), mov('r0', 3), exit()];
  assert.equal(new Interpreter(straight, { budget: 4 }).run().r0, 3n);
  assert.throws(() => new Interpreter(straight, { budget: 3 }).run(), BudgetExceededError);
});

test('onStep sees every instruction in order with registers, and the same result', () => {
  const pcs: number[] = [];
  const r0s: bigint[] = [];
  const vm = new Interpreter([ld64('r0', 1n), ...loop.slice(1)], {
    onStep: (pc, regs, info) => {
      pcs.push(pc);
      r0s.push(regs.get(0));
      assert.equal(info.steps, pcs.length - 1);
      assert.equal(info.depth, 0);
    },
  });
  const r = vm.run();
  assert.equal(r.r0, 6n);
  assert.equal(r.steps, LOOP_STEPS);
  assert.equal(r.stoppedAt, undefined);
  assert.deepEqual(pcs.slice(0, 6), [0, 2, 3, 4, 5, 3]);
  assert.equal(pcs.length, LOOP_STEPS);
  assert.equal(pcs.at(-1), 6);
  assert.deepEqual(r0s.slice(0, 4), [0n, 1n, 1n, 2n]);
});

test("onStep returning 'stop' ends the run before that instruction", () => {
  let n = 0;
  const vm = new Interpreter(loop, { onStep: () => (++n > 4 ? 'stop' : undefined) });
  const r = vm.run();
  assert.deepEqual(r, { r0: 1n, steps: 4, stoppedAt: 4 }); // ran pcs 0-3, stopped before the jne
});

test('onStep can edit registers, and a self-loop still steps each time', () => {
  const vm = new Interpreter(
    [mov('r0', 0), mov('r1', 3), alu64('sub', 'r1', 1), jmp('jne', 'r1', 0, -2), exit()],
    {
      onStep: (pc, regs) => {
        if (pc === 4) regs.set(0, 77n);
      },
    },
  );
  assert.equal(vm.run().r0, 77n);
  let visits = 0;
  const self = new Interpreter([mov('r0', 0), ja(-1)], {
    onStep: (pc) => (pc === 1 && ++visits === 5 ? 'stop' : undefined),
  });
  assert.equal(self.run().stoppedAt, 1);
  assert.equal(visits, 5);
  assert.throws(() => new Interpreter([ja(-1)], { onStep: () => {}, budget: 10 }).run(), BudgetExceededError);
});

test('falling off the end, jumping out, and jumping into an lddw are faults with the pc', () => {
  const fault = (program: Instruction[], pc: number, re: RegExp) =>
    assert.throws(
      () => new Interpreter(program).run(),
      (e: unknown) => e instanceof RuntimeFault && e.pc === pc && re.test(e.message),
    );
  fault([mov('r0', 0), mov('r1', 0)], 1, /fell off the end/);
  fault([ld64('r0', 0n)], 0, /fell off the end/);
  fault([mov('r0', 0), ja(5), exit()], 1, /jump to 7, outside the program/);
  fault([mov('r0', 1), jmp('jeq', 'r0', 1, -3), exit()], 1, /jump to -1/);
  fault([ja(1), ld64('r0', 0n), exit()], 0, /into the middle of an lddw/);
  // Never taken: no fault.
  assert.equal(new Interpreter([mov('r0', 1), jmp('jeq', 'r0', 0, 100), exit()]).run().r0, 1n);
});

test('LD_ABS / LD_IND read the packet big-endian; out of bounds ends the run with r0 = 0', () => {
  const space = new AddressSpace();
  const packet = space.allocate('pkt', 8, { kind: 'packet' });
  space.u8.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], packet.start);
  const run = (...p: Instruction[]) =>
    new Interpreter([...p, exit()], { memory: space }).run([], { packet }).r0;
  assert.equal(run(ldabs(1, 1)), 0x22n);
  assert.equal(run(ldabs(2, 2)), 0x3344n);
  assert.equal(run(ldabs(4, 4)), 0x55667788n);
  assert.equal(run(mov('r3', 2), ldind(2, 'r3', 4)), 0x7788n);
  assert.equal(run(ldabs(4, 5), mov('r0', 9)), 0n, 'out of bounds exits with 0');
  assert.equal(run(mov('r3', -1), ldind(1, 'r3', 0), mov('r0', 9)), 0n, 'negative offset exits with 0');
  assert.throws(
    () => new Interpreter([ldabs(1, 0), exit()]).run(),
    (e: unknown) => e instanceof RuntimeFault && /needs a packet/.test(e.message),
  );
});

test('run arguments land in r1-r5 and r0 is unsigned 64-bit', () => {
  const vm = new Interpreter([mov('r0', 'r5'), alu64('sub', 'r0', 'r1'), exit()]);
  assert.equal(vm.run([1n, 0n, 0n, 0n, 0n]).r0, (1n << 64n) - 1n);
  assert.throws(() => vm.run([1n, 2n, 3n, 4n, 5n, 6n]), RangeError);
});

test('each run starts on a zeroed stack, and close() unmaps it', () => {
  const space = new AddressSpace();
  // Reads fp-8 into r0, then leaves 0x2a there for a later run to find (it must not).
  const vm = new Interpreter([ldx(8, 'r0', 'r10', -8), mov('r1', 42), stx(8, 'r10', -8, 'r1'), exit()], {
    memory: space,
  });
  assert.equal(vm.run().r0, 0n);
  assert.equal(vm.run().r0, 0n);
  const mapped = space.regions.length;
  vm.close();
  assert.equal(space.regions.length, mapped - 1);
  assert.throws(() => vm.run(), ClosedError);
});
