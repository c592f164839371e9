// Loads, stores and atomics (RFC 9669 §5): every size, sign extension, the stack per frame,
// region checks with faults naming pc, address and nearest region, and read-only regions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineUnderTest as Interpreter } from '../../test/engines.js';
import { MemoryFault } from '../errors.js';
import type { Instruction } from '../isa/index.js';
import { AddressSpace, runWithMemory } from '../runtime/index.js';
import { alu64, atomic, exit, jmp, ld64, ldx, ldxs, mov, st, stx } from './test-builders.js';

const M64 = (1n << 64n) - 1n;
const bytes = (...xs: number[]) => new Uint8Array(xs);
const run = (program: Instruction[], data: Uint8Array) => runWithMemory(new Interpreter(program), data);

test('loads of every size are little-endian and zero-extend; memsx sign-extends', () => {
  const data = bytes(0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88);
  const load = (insn: Instruction) => run([insn, exit()], data).r0;
  assert.equal(load(ldx(1, 'r0', 'r1', 0)), 0x81n);
  assert.equal(load(ldx(2, 'r0', 'r1', 0)), 0x8281n);
  assert.equal(load(ldx(4, 'r0', 'r1', 0)), 0x84838281n);
  assert.equal(load(ldx(8, 'r0', 'r1', 0)), 0x8887868584838281n);
  assert.equal(load(ldx(4, 'r0', 'r1', 4)), 0x88878685n);
  assert.equal(load(ldxs(1, 'r0', 'r1', 1)), BigInt.asUintN(64, -0x7en));
  assert.equal(load(ldxs(2, 'r0', 'r1', 0)), BigInt.asUintN(64, -0x7d7fn));
  assert.equal(load(ldxs(4, 'r0', 'r1', 0)), BigInt.asUintN(64, BigInt(0x84838281 | 0)));
  assert.equal(run([ldxs(1, 'r0', 'r1', 0), exit()], bytes(0x7f)).r0, 0x7fn);
});

test('stores of every size, immediate and register; stdw imm sign-extends', () => {
  const out = (...program: Instruction[]) => run([...program, exit()], new Uint8Array(16)).memory;
  assert.deepEqual(out(st(1, 'r1', 0, 0x1ff)), bytes(0xff, ...new Array(15).fill(0)));
  assert.deepEqual([...out(st(2, 'r1', 2, 0x1234)).subarray(0, 4)], [0, 0, 0x34, 0x12]);
  assert.deepEqual([...out(st(4, 'r1', 0, -2)).subarray(0, 5)], [0xfe, 0xff, 0xff, 0xff, 0]);
  assert.deepEqual([...out(st(8, 'r1', 8, -1)).subarray(7, 16)], [0, 255, 255, 255, 255, 255, 255, 255, 255]);
  const m = out(
    ld64('r2', 0x1122334455667788n),
    stx(8, 'r1', 0, 'r2'),
    stx(4, 'r1', 8, 'r2'),
    stx(2, 'r1', 12, 'r2'),
    stx(1, 'r1', 14, 'r2'),
  );
  assert.deepEqual(
    [...m],
    [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0x88, 0x77, 0x88, 0],
  );
});

test('unaligned accesses work (BPF allows them on packet-like memory)', () => {
  const r = run(
    [ld64('r2', 0xa1a2a3a4a5a6a7a8n), stx(8, 'r1', 3, 'r2'), ldx(8, 'r0', 'r1', 3), exit()],
    new Uint8Array(16),
  );
  assert.equal(r.r0, 0xa1a2a3a4a5a6a7a8n);
});

test('the stack: r10 is the frame top, 512 bytes below it are usable, above and below fault', () => {
  const vm = (...p: Instruction[]) => new Interpreter([...p, exit()]);
  assert.equal(vm(st(8, 'r10', -8, 42), ldx(8, 'r0', 'r10', -8)).run().r0, 42n);
  assert.equal(vm(st(1, 'r10', -512, 7), ldx(1, 'r0', 'r10', -512)).run().r0, 7n);
  // A fresh run sees a zeroed stack.
  const again = vm(ldx(8, 'r0', 'r10', -8), st(8, 'r10', -8, 9));
  assert.equal(again.run().r0, 0n);
  assert.equal(again.run().r0, 0n);
  for (const [insn, access, size] of [
    [ldx(8, 'r0', 'r10', 0), 'read', 8],
    [ldx(1, 'r0', 'r10', -513), 'read', 1],
    [st(4, 'r10', -2, 1), 'write', 4],
  ] as const) {
    assert.throws(
      () => vm(mov('r1', 0), insn).run(),
      (err: unknown) =>
        err instanceof MemoryFault &&
        err.pc === 1 &&
        err.access === access &&
        err.size === size &&
        /stack 'stack'/.test(err.nearest ?? '') &&
        new RegExp(`^pc 1: invalid ${access} of ${size} bytes at 0x`).test(err.message),
    );
  }
});

test('faults name pc, access, address and the nearest region; NULL never maps', () => {
  const space = new AddressSpace();
  const vm = new Interpreter([mov('r0', 0), ldx(4, 'r0', 'r1', 0), exit()], { memory: space });
  const check = (addr: bigint, nearest: RegExp | undefined) => {
    try {
      vm.run([addr]);
      assert.fail('no fault');
    } catch (e) {
      assert.ok(e instanceof MemoryFault, String(e));
      assert.equal(e.pc, 1);
      assert.equal(e.address, addr);
      assert.equal(e.code, 'RUNTIME_FAULT');
      if (nearest) assert.match(e.nearest ?? '', nearest);
    }
  };
  check(0n, undefined);
  check(M64, undefined);
  const mem = space.allocate('buf', 16, { kind: 'mem' });
  check(BigInt(mem.end - 2), /mem 'buf' \[0x[0-9a-f]+, 0x[0-9a-f]+\)/);
  check(BigInt(mem.start) + (1n << 32n), undefined);
  assert.equal(vm.run([BigInt(mem.start + 12)]).r0, 0n);
});

test('read-only regions refuse stores and atomics but allow loads', () => {
  const space = new AddressSpace();
  const ro = space.allocate('rodata', 8, { kind: 'global', writable: false });
  space.u8.set([1, 2, 3, 4], ro.start);
  const load = new Interpreter([ldx(4, 'r0', 'r1', 0), exit()], { memory: space });
  assert.equal(load.run([BigInt(ro.start)]).r0, 0x04030201n);
  for (const insn of [st(4, 'r1', 0, 1), atomic(4, 'add', false, 'r1', 0, 'r2')]) {
    const vm = new Interpreter([insn, exit()], { memory: space });
    assert.throws(
      () => vm.run([BigInt(ro.start)]),
      (e: unknown) => e instanceof MemoryFault && e.access === 'write' && /read-only/.test(e.message),
    );
  }
});

test('atomics: add/or/and/xor with and without fetch, xchg, cmpxchg; 32-bit forms zero-extend', () => {
  const init = 0xf0f0f0f0_0000000fn;
  const cases: [4 | 8, Parameters<typeof atomic>[1], boolean, bigint, bigint, bigint][] = [
    // bytes, op, fetch, src value, memory after, src after (fetch) / unchanged
    [8, 'add', false, 1n, init + 1n, 1n],
    [8, 'add', true, 0xffffffffn, init + 0xffffffffn, init],
    [8, 'or', true, 0xf0n, init | 0xf0n, init],
    [8, 'and', true, 0xffn, 0xfn, init],
    [8, 'xor', false, M64, init ^ M64, M64],
    [8, 'xchg', true, 5n, 5n, init],
    [4, 'add', true, 1n, (init & ~0xffffffffn) | 0x10n, 0xfn],
    [4, 'or', false, 0xffff0000n, (init & ~0xffffffffn) | 0xffff000fn, 0xffff0000n],
    [4, 'and', true, 0x3n, (init & ~0xffffffffn) | 0x3n, 0xfn],
    [4, 'xor', true, 0xffffffff_00000001n, (init & ~0xffffffffn) | 0xen, 0xfn],
    [4, 'xchg', true, 0xdead_00000007n, (init & ~0xffffffffn) | 0x7n, 0xfn],
  ];
  for (const [size, op, fetch, srcValue, memAfter, srcAfter] of cases) {
    const program = [
      ld64('r3', init),
      stx(8, 'r1', 0, 'r3'),
      ld64('r2', srcValue),
      atomic(size, op, fetch, 'r1', 0, 'r2'),
      mov('r0', 'r2'),
      exit(),
    ];
    const r = run(program, new Uint8Array(8));
    const mem = new DataView(r.memory.buffer).getBigUint64(0, true);
    assert.equal(mem, memAfter, `${op}${size * 8}${fetch ? ' fetch' : ''}: memory`);
    assert.equal(r.r0, srcAfter, `${op}${size * 8}${fetch ? ' fetch' : ''}: src register`);
  }
});

test('cmpxchg compares with r0, stores src on a match, and always loads the old value into r0', () => {
  const prog = (size: 4 | 8, r0: bigint) => [
    ld64('r3', 0xaaaa_bbbb_0000_0005n),
    stx(8, 'r1', 0, 'r3'),
    ld64('r0', r0),
    ld64('r2', 0x1111_2222_3333_4444n),
    atomic(size, 'cmpxchg', true, 'r1', 0, 'r2'),
    ldx(8, 'r4', 'r1', 0),
    stx(8, 'r1', 8, 'r0'),
    mov('r0', 'r4'),
    exit(),
  ];
  const go = (size: 4 | 8, r0: bigint) => {
    const r = run(prog(size, r0), new Uint8Array(16));
    return { mem: r.r0, r0: new DataView(r.memory.buffer).getBigUint64(8, true) };
  };
  assert.deepEqual(go(8, 0xaaaa_bbbb_0000_0005n), {
    mem: 0x1111_2222_3333_4444n,
    r0: 0xaaaa_bbbb_0000_0005n,
  });
  assert.deepEqual(go(8, 5n), { mem: 0xaaaa_bbbb_0000_0005n, r0: 0xaaaa_bbbb_0000_0005n });
  // 32-bit: only the low halves compare; r0 gets the old low half, zero-extended.
  assert.deepEqual(go(4, 0xffff_ffff_0000_0005n), { mem: 0xaaaa_bbbb_3333_4444n, r0: 5n });
  assert.deepEqual(go(4, 6n), { mem: 0xaaaa_bbbb_0000_0005n, r0: 5n });
});

test('pointer arithmetic across the region: a loop summing bytes', () => {
  const data = new Uint8Array(300).map((_, k) => k & 0xff);
  const program = [
    mov('r0', 0),
    mov('r4', 'r1'),
    alu64('add', 'r4', 'r2'),
    ldx(1, 'r3', 'r1', 0),
    alu64('add', 'r0', 'r3'),
    alu64('add', 'r1', 1),
    jmp('jlt', 'r1', 'r4', -4),
    exit(),
  ];
  assert.equal(run(program, data).r0, BigInt(data.reduce((s, v) => s + v, 0)));
});
