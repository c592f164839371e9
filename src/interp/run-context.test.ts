// Engine.runContext, the cheap run: r1 = a context address the caller placed, r0's low 32 bits
// back as an unsigned number, the stack kept between runs (zeroed once, when mapped), nested
// runs from a helper, and the argument checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter, type TestEngine } from '../../test/engines.js';
import { ClosedError } from '../errors.js';
import type { HelperFn } from '../runtime/index.js';
import { alu64, call, exit, ldx, mov, stx } from './test-builders.js';

test('runContext runs with r1 = ctx and returns r0 as a u32', () => {
  const vm = new Interpreter([ldx(4, 'r0', 'r1', 4), alu64('add', 'r0', 'r1'), exit()]);
  const ctx = vm.memory.allocate('ctx', 16, { kind: 'mem' });
  vm.memory.view.setUint32(ctx.start + 4, 0xfffffff0, true);
  // r0 = 0xfffffff0 + ctx: the low 32 bits, unsigned.
  assert.equal(vm.runContext(ctx.start), (0xfffffff0 + ctx.start) % 2 ** 32);
  assert.equal(new Interpreter([mov('r0', -1), exit()]).runContext(0), 0xffffffff);
});

test('runContext keeps the stack between runs; run() starts from a zeroed one', () => {
  // r0 = the u64 at r10 - 8, then store 5 there: what the next run reads.
  const vm = new Interpreter([ldx(8, 'r0', 'r10', -8), mov('r2', 5), stx(8, 'r10', -8, 'r2'), exit()]);
  assert.equal(vm.runContext(0), 0, 'the stack is zeroed when it is mapped');
  assert.equal(vm.runContext(0), 5, 'the bytes of the last run');
  assert.equal(vm.run().r0, 0n, 'run() clears it');
  assert.equal(vm.runContext(0), 5);
});

test('runContext clears r2-r9 and follows a helper that ends the run', () => {
  const seen: bigint[] = [];
  const stop: HelperFn = (env, a, b, c, d, e) => {
    seen.push(a, b, c, d, e);
    env.exit = true;
    return 3n;
  };
  const vm = new Interpreter([call(1), mov('r0', 9), exit()], { helpers: new Map([[1, stop]]) });
  assert.equal(vm.runContext(0x1234), 3);
  assert.deepEqual(seen, [0x1234n, 0n, 0n, 0n, 0n]);
  assert.equal(vm.runContext(0x1234), 3, 'exit does not stick to the next run');
});

test('runContext may run nested, from a helper of another run of the same engine', () => {
  let vm: TestEngine | undefined;
  const again: HelperFn = (_env, a) => (a === 0n ? 100n : BigInt(vm!.runContext(0)) + a);
  vm = new Interpreter([mov('r0', 'r1'), mov('r1', 'r0'), call(1), exit()], {
    helpers: new Map([[1, again]]),
  });
  assert.equal(vm.runContext(7), 107);
});

test('runContext refuses a ctx that is no 32-bit address, and a closed engine', () => {
  const vm = new Interpreter([mov('r0', 0), exit()]);
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => vm.runContext(bad), RangeError);
  vm.close();
  assert.throws(() => vm.runContext(0), ClosedError);
  // The same after a run, when the engine's set-up for the next run is already done (its fast path).
  const warm = new Interpreter([mov('r0', 0), exit()]);
  assert.equal(warm.runContext(0), 0);
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => warm.runContext(bad), RangeError);
  assert.equal(warm.runContext(8), 0);
  warm.close();
  assert.throws(() => warm.runContext(0), ClosedError);
});

test('a helper that grows the memory mid-run: the run goes on with a fresh view', () => {
  let vm: TestEngine | undefined;
  // Allocates 1 MiB (more than the memory holds: it grows, detaching the old buffer).
  const grow: HelperFn = () => BigInt(vm!.memory.allocate('big', 1 << 20, { kind: 'mem' }).end - 8);
  vm = new Interpreter([call(1), mov('r1', 99), stx(8, 'r0', 0, 'r1'), ldx(8, 'r0', 'r0', 0), exit()], {
    helpers: new Map([[1, grow]]),
  });
  const before = vm.memory.memory.buffer.byteLength;
  assert.equal(vm.runContext(0), 99);
  assert.ok(vm.memory.memory.buffer.byteLength > before, 'the memory grew');
});

test('memory grown between two runs: the next runContext reads through a fresh view', () => {
  const vm = new Interpreter([ldx(4, 'r0', 'r1', 0), exit()]);
  const ctx = vm.memory.allocate('ctx', 8, { kind: 'mem' });
  vm.memory.view.setUint32(ctx.start, 41, true);
  assert.equal(vm.runContext(ctx.start), 41);
  const before = vm.memory.memory.buffer.byteLength;
  const big = vm.memory.allocate('big', 1 << 20, { kind: 'mem' });
  assert.ok(vm.memory.memory.buffer.byteLength > before, 'the memory grew');
  vm.memory.view.setUint32(big.start, 42, true);
  assert.equal(vm.runContext(big.start), 42, 'a region past the old buffer');
  assert.equal(vm.runContext(ctx.start), 41);
});
