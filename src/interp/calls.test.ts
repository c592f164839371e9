// Calls (RFC 9669 §4.3.1): helpers through the table, local calls with per-frame stacks and
// preserved r6-r9, the 8-frame limit, callx through lddw function addresses, kfuncs, and lddw
// pseudo sources.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter, type TestEngine } from '../../test/engines.js';
import { InvalidInstructionError, MemoryFault, NotSupportedError, RuntimeFault } from '../errors.js';
import { type Instruction, insn, op as O } from '../isa/index.js';
import { FRAME_STRIDE } from '../runtime/abi.js';
import type { HelperEnv, HelperFn } from '../runtime/index.js';
import { alu64, call, callLocal, callx, exit, jmp, ld64, ldx, mov, st, stx } from './test-builders.js';

test('helper calls pass r1-r5 and set r0; env gives pc and memory', () => {
  const seen: { pc: number; args: bigint[] }[] = [];
  const sum: HelperFn = (env: HelperEnv, a, b, c, d, e) => {
    seen.push({ pc: env.pc, args: [a, b, c, d, e] });
    return a + b + c + d + e + (1n << 40n);
  };
  const vm = new Interpreter(
    [mov('r1', 1), mov('r2', 2), mov('r3', 3), mov('r4', 4), mov('r5', -1), call(7), exit()],
    {
      helpers: new Map([[7, sum]]),
    },
  );
  assert.equal(vm.run().r0, (1n << 40n) + 9n); // 1+2+3+4-1 + 2^40, wrapped to 64 bits
  assert.deepEqual(seen, [{ pc: 5, args: [1n, 2n, 3n, 4n, (1n << 64n) - 1n] }]);
});

test('a helper reads a stack buffer through env.memory', () => {
  const read: HelperFn = (env, p) => env.memory.readU64(p);
  const vm = new Interpreter(
    [st(8, 'r10', -8, 1234), mov('r1', 'r10'), alu64('add', 'r1', -8), call(1), exit()],
    { helpers: new Map([[1, read]]) },
  );
  assert.equal(vm.run().r0, 1234n);
});

test('an unknown helper id is a NotSupportedError naming the id and pc', () => {
  const vm = new Interpreter([mov('r0', 0), call(99), exit()]);
  assert.throws(
    () => vm.run(),
    (e: unknown) => e instanceof NotSupportedError && /helper #99/.test(e.message) && /pc 1/.test(e.message),
  );
});

test('local calls: r0 returns, r6-r9 survive, each frame has its own 512-byte stack', () => {
  const program = [
    mov('r6', 6),
    mov('r9', 9),
    st(8, 'r10', -8, 111), // caller's slot
    mov('r1', 5),
    callLocal(4), // -> fn at 9
    ldx(8, 'r2', 'r10', -8), // still 111
    alu64('add', 'r0', 'r2'),
    alu64('add', 'r0', 'r6'),
    ja9(),
    // fn: clobbers r6/r9 and its own r10-8, returns r1 * 100
    mov('r6', 0),
    mov('r9', 0),
    st(8, 'r10', -8, 222),
    mov('r0', 'r1'),
    alu64('mul', 'r0', 100),
    exit(),
  ];
  // slot 8 jumps over fn to an exit appended below
  const vm = new Interpreter([...program, alu64('add', 'r0', 'r9'), exit()]);
  assert.equal(vm.run().r0, 500n + 111n + 6n + 9n);
});
function ja9() {
  return insn(O.OP_JA, 0, 0, 6, 0);
}

test('a callee can use a pointer into its caller stack frame', () => {
  const program = [
    st(8, 'r10', -16, 40),
    mov('r1', 'r10'),
    alu64('add', 'r1', -16),
    callLocal(1),
    exit(),
    ldx(8, 'r0', 'r1', 0), // fn: r0 = *r1; *r1 = 2
    st(8, 'r1', 0, 2),
    ldx(8, 'r3', 'r10', 0 - 8), // own frame, zero
    alu64('add', 'r0', 'r3'),
    exit(),
  ];
  assert.equal(new Interpreter(program).run().r0, 40n);
});

test('r10 moves up FRAME_STRIDE per frame (a guard gap apart); 8 frames are fine, a 9th faults', () => {
  // fn(n): r0 = r10 at depth n; recurse while r1 > 0.
  const recurse = (depth: number) => [
    mov('r1', depth),
    callLocal(1),
    exit(),
    jmp('jeq', 'r1', 0, 3), // fn:
    alu64('sub', 'r1', 1),
    callLocal(-3),
    exit(),
    mov('r0', 'r10'),
    exit(),
  ];
  const top = (vm: TestEngine) => {
    const r = vm.run();
    return r.r0;
  };
  const one = top(new Interpreter(recurse(0)));
  const seven = top(new Interpreter(recurse(6)));
  assert.equal(seven - one, 6n * BigInt(FRAME_STRIDE), 'r10 of frame 7 is 6 strides above frame 1');
  assert.throws(
    () => new Interpreter(recurse(7)).run(),
    (e: unknown) => e instanceof RuntimeFault && /more than 8 frames/.test(e.message) && e.pc === 5,
  );
});

test('callx calls a function whose address lddw src_reg 4 loaded', () => {
  const program = [
    ld64('r2', 5n, O.BPF_PSEUDO_FUNC), // imm 5: slot 0 + 5 + 1 = 6 (lddw takes slots 0-1)
    mov('r1', 21),
    callx('r2'),
    exit(),
    exit(), // padding slot 4
    mov('r0', 'r1'), // slot 6: fn
    alu64('mul', 'r0', 2),
    exit(),
  ];
  assert.equal(new Interpreter(program).run().r0, 42n);
  assert.throws(
    () => new Interpreter([mov('r2', 8), callx('r2'), exit()]).run(),
    (e: unknown) => e instanceof RuntimeFault && e.pc === 1 && /not a function/.test(e.message),
  );
});

test('a function address is not data: loading through it faults', () => {
  const vm = new Interpreter([ld64('r1', 1n, O.BPF_PSEUDO_FUNC), ldx(8, 'r0', 'r1', 0), exit(), exit()]);
  assert.throws(() => vm.run(), RuntimeFault);
});

test('kfunc calls are NotSupportedError; so are map lddw without a resolver', () => {
  const kfunc = insn(O.OP_CALL, 0, O.BPF_PSEUDO_KFUNC_CALL, 0, 1234);
  assert.throws(
    () => new Interpreter([kfunc, exit()]).run(),
    (e: unknown) => e instanceof NotSupportedError && /kfunc.*1234/.test(e.message),
  );
  assert.throws(
    () => new Interpreter([ld64('r1', 3n, O.BPF_PSEUDO_MAP_FD), exit()]),
    (e: unknown) => e instanceof NotSupportedError && /lddw map fd \(src_reg 1\)/.test(e.message),
  );
  const calls: number[][] = [];
  const vm = new Interpreter([ld64('r0', 3n, O.BPF_PSEUDO_MAP_VALUE), exit()], {
    resolveLddw: (pseudo, imm, hi, pc) => {
      calls.push([pseudo, imm, hi, pc]);
      return 0xabcdn;
    },
  });
  assert.equal(vm.run().r0, 0xabcdn);
  assert.deepEqual(calls, [[2, 3, 0, 0]]);
});

test('invalid instructions are rejected when the interpreter is built', () => {
  assert.throws(() => new Interpreter([insn(0xff, 0, 0, 0, 0)]), InvalidInstructionError);
  assert.throws(() => new Interpreter([]), InvalidInstructionError);
  assert.throws(() => new Interpreter([stx(8, 'r11' as 'r1', 0, 'r1'), exit()]), InvalidInstructionError);
});

/** main: r1 = r10 - 16 (after storing 40 there), call fn; fn's body is `body`, ending in exit. */
const withCallee = (...body: Instruction[]) =>
  new Interpreter([
    st(8, 'r10', -16, 40),
    mov('r1', 'r10'),
    alu64('add', 'r1', -16),
    callLocal(1),
    exit(),
    ...body,
  ]);
const faultAt = (pc: number, access: 'read' | 'write', nearest: RegExp) => (e: unknown) =>
  e instanceof MemoryFault && e.pc === pc && e.access === access && nearest.test(e.nearest ?? '');

test('a callee reaches its caller frame only through a pointer it was given', () => {
  // Through the pointer: read and write work (the slow path, then the hit cache holds frame 0).
  const ok = withCallee(
    ldx(8, 'r0', 'r1', 0),
    st(8, 'r1', 8, 1),
    ldx(8, 'r2', 'r1', 8),
    alu64('add', 'r0', 'r2'),
    exit(),
  );
  assert.equal(ok.run().r0, 41n);
  // r10 + 0 of the callee, and r10 + the distance a caller frame would be at without gaps, fault.
  for (const off of [0, 8, 512, 4096, 32760]) {
    assert.throws(() => withCallee(ldx(8, 'r0', 'r10', off), exit()).run(), faultAt(5, 'read', /stack/));
  }
  // Below the callee's 512 bytes: the gap below it, never the caller's frame.
  for (const off of [-513, -520, -1024, -32768]) {
    assert.throws(() => withCallee(st(1, 'r10', off, 1), exit()).run(), faultAt(5, 'write', /stack/));
  }
  // Its own frame still works.
  assert.equal(withCallee(st(8, 'r10', -512, 3), ldx(8, 'r0', 'r10', -512), exit()).run().r0, 3n);
});

test('frames deeper than the current one are dead: a pointer a callee leaked faults after it returns', () => {
  // fn stores its r10 - 8 into the caller's slot at *r1; main reads through it after the return.
  const program = [
    st(8, 'r10', -16, 0),
    mov('r1', 'r10'),
    alu64('add', 'r1', -16),
    callLocal(3),
    ldx(8, 'r2', 'r10', -16), // the leaked pointer
    ldx(8, 'r0', 'r2', 0), // pc 5: a dead frame
    exit(),
    st(8, 'r10', -8, 5), // fn: write its own frame (the hit cache now holds it), leak r10 - 8
    mov('r3', 'r10'),
    alu64('add', 'r3', -8),
    stx(8, 'r1', 0, 'r3'),
    ldx(8, 'r0', 'r3', 0),
    exit(),
  ];
  assert.throws(
    () => new Interpreter(program).run(),
    (e: unknown) => e instanceof MemoryFault && e.pc === 5 && /stack 'stack'.*frame 0/.test(e.nearest ?? ''),
  );
});
