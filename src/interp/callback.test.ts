// Engine.callFunction and HelperEnv.callFunction: a helper calling back into the program (as
// bpf_loop does) runs the function at a slot as a nested run with its own stack, sees r1-r5,
// returns r0, leaves the caller's registers intact, nests, and refuses non-function addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE_UNDER_TEST, EngineUnderTest as Interpreter } from '../../test/engines.js';
import { NotSupportedError, RuntimeFault } from '../errors.js';
import { op as O } from '../isa/index.js';
import type { HelperFn } from '../runtime/index.js';
import { alu64, call, exit, ld64, mov } from './test-builders.js';

/** Helper 1: calls the function in r1 for i = 0..r2-1 with (i, r3) and sums the results. */
const sumCalls: HelperFn = (env, fn, n, arg) => {
  let s = 0n;
  for (let i = 0n; i < n; i++) s += env.callFunction!(fn, [i, arg]);
  return s;
};

test('callFunction runs the function at a slot with r1-r5 and returns r0', () => {
  const vm = new Interpreter([mov('r0', 1), exit(), mov('r0', 'r1'), alu64('mul', 'r0', 'r2'), exit()]);
  // Slot 2 starts no subprogram (nothing calls it): the JIT compiled no function there.
  if (ENGINE_UNDER_TEST === 'jit') assert.throws(() => vm.callFunction(2, [6n, 7n]), NotSupportedError);
  else assert.equal(vm.callFunction(2, [6n, 7n]).r0, 42n);
  assert.equal(vm.run().r0, 1n);
  assert.throws(() => vm.callFunction(5), RuntimeFault);
  assert.throws(() => new Interpreter([ld64('r0', 1n), exit()]).callFunction(1), /no function at slot 1/);
});

test('a helper calls back into the program; the caller keeps its registers', () => {
  const program = [
    mov('r6', 1000), // callee-saved across the helper call
    ld64('r1', 7n, O.BPF_PSEUDO_FUNC), // slots 1-2; target 1 + 7 + 1 = 9
    mov('r2', 4),
    mov('r3', 10),
    call(1),
    alu64('add', 'r0', 'r6'),
    exit(),
    exit(), // slot 8: padding
    mov('r0', 'r1'), // slot 9: cb(i, arg) = i * arg + r6 (r6 is this run's own: 0)
    alu64('mul', 'r0', 'r2'),
    alu64('add', 'r0', 'r6'),
    mov('r6', 77), // clobbers only its own frame
    exit(),
  ];
  const vm = new Interpreter(program, { helpers: new Map([[1, sumCalls]]) });
  assert.equal(vm.run().r0, 1000n + 10n * (0n + 1n + 2n + 3n));
});

test('callbacks nest, and reuse their stacks within a run', () => {
  // main: helper(cb_outer, 3); cb_outer(i): helper(cb_inner, i + 1); cb_inner(j): 1.
  const fixed = [
    ld64('r1', 5n, O.BPF_PSEUDO_FUNC), // slots 0-1: cb_outer at 0 + 5 + 1 = 6
    mov('r2', 3),
    mov('r3', 0),
    call(1),
    exit(), // 5
    mov('r2', 'r1'), // 6: cb_outer(i): r2 = i + 1
    alu64('add', 'r2', 1),
    ld64('r1', 3n, O.BPF_PSEUDO_FUNC), // slots 8-9: cb_inner at 8 + 3 + 1 = 12
    call(1), // 10
    exit(), // 11
    mov('r0', 1), // 12: cb_inner
    exit(),
  ];
  const vm = new Interpreter(fixed, { helpers: new Map([[1, sumCalls]]) });
  assert.equal(vm.run().r0, 1n + 2n + 3n);
  const before = vm.memory.regions.length;
  vm.run();
  assert.equal(vm.memory.regions.length, before, 'callback stacks are released after the run');
});

test('a callback address that is not a function faults at the helper call', () => {
  const vm = new Interpreter([mov('r1', 8), mov('r2', 1), call(1), exit()], {
    helpers: new Map([[1, sumCalls]]),
  });
  assert.throws(
    () => vm.run(),
    (e: unknown) => e instanceof RuntimeFault && /not a function address/.test(e.message) && e.pc === 2,
  );
  const past = new Interpreter([ld64('r1', 50n, O.BPF_PSEUDO_FUNC), mov('r2', 1), call(1), exit()], {
    helpers: new Map([[1, sumCalls]]),
  });
  assert.throws(() => past.run(), RuntimeFault);
});
