// VmProgram.runOn, a data path's run: a context the caller made and keeps, the CPU per run,
// the redirect outcome of each run (cleared before it), tail calls followed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asmProgram } from '../../../test/gen/oob-cases.js';
import { assemble } from '../../asm/index.js';
import { MemoryFault } from '../../errors.js';
import type { CollectionSpec, ProgramSpec } from '../../program/index.js';
import { XdpContext } from '../context/xdp.js';
import type { VmCollection } from './collection.js';

const prog = (name: string, text: string): ProgramSpec => asmProgram(name, 'XDP', assemble(text));

/** A context over 64 zero bytes in `c`'s space. */
function xdpContext(c: VmCollection): XdpContext {
  const ctx = XdpContext.create('XDP', c.space, {
    data: new Uint8Array(64),
    ctx: undefined,
    flags: 0,
    interfaces: c.interfaces,
  });
  assert.ok(ctx instanceof XdpContext);
  return ctx;
}

test('runOn: cpu per run, the redirect outcome of this run only, a context reused', () => {
  // Redirects to ifindex 3 on CPU 1; otherwise returns XDP_PASS + 10 * cpu.
  const text = `
    call 8
    if r0 != 1 goto +4
    r1 = 3
    r2 = 0
    call 23
    exit
    r0 *= 10
    r0 += 2
    exit`;
  const spec: CollectionSpec = { programs: [prog('p', text)], maps: [], variables: [], license: 'GPL' };
  using c = load(spec);
  const p = c.program('p');
  const ctx = xdpContext(c);
  assert.equal(p.runOn(ctx, 1), 4, 'XDP_REDIRECT');
  assert.equal(p.redirect.ifindex, 3);
  assert.equal(p.runOn(ctx, 2), 22);
  assert.equal(p.redirect.ifindex, 0, 'cleared before the run');
  assert.equal(p.runOn(ctx), 2, 'the collection CPU (0) by default');
  ctx.release();
});

test("runOn: a run that calls no helper has no redirect outcome, nor an earlier run's tail call or lock", () => {
  const spec: CollectionSpec = {
    programs: [prog('redirect', 'r1 = 3\nr2 = 0\ncall 23\nexit'), prog('pass', 'r0 = 2\nexit')],
    maps: [],
    variables: [],
    license: 'GPL',
  };
  using c = load(spec);
  const ctx = xdpContext(c);
  const [redirect, pass] = [c.program('redirect'), c.program('pass')];
  for (let k = 0; k < 3; k++) {
    assert.equal(redirect.runOn(ctx), 4, 'XDP_REDIRECT');
    assert.equal(redirect.redirect.ifindex, 3);
    assert.equal(pass.runOn(ctx), 2);
    assert.deepEqual({ ...pass.redirect }, { ifindex: 0, map: undefined, flags: 0n, nexthop: undefined });
    assert.equal(redirect.redirect.ifindex, 0, "one outcome per collection: the last run's");
  }
  ctx.release();
});

test('program.run starts each call on a zeroed stack; runOn and repeats keep it', () => {
  // Unverified on purpose: returns the u64 at r10 - 8, then stores 7 there.
  const text = `
    r0 = *(u64 *)(r10 - 8)
    r1 = 7
    *(u64 *)(r10 - 8) = r1
    exit`;
  const spec: CollectionSpec = { programs: [prog('p', text)], maps: [], variables: [], license: 'GPL' };
  using c = load(spec);
  const p = c.program('p');
  const data = new Uint8Array(64);
  assert.equal(p.run({ data }).retval, 0);
  assert.equal(p.run({ data }).retval, 0, 'a fresh stack per call, as before runContext');
  assert.equal(p.run({ data, repeat: 2 }).retval, 7, 'the second repeat sees the store of the first');
  const ctx = XdpContext.create('XDP', c.space, { data, ctx: undefined, flags: 0, interfaces: c.interfaces });
  assert.ok(ctx instanceof XdpContext);
  assert.equal(p.runOn(ctx), 7, 'runOn keeps the stack');
  ctx.release();
});

test('runOn and runContext fault where the kernel refuses: a read at data_end, a write to xdp_md', () => {
  // Both are verifier rejections ("invalid access to packet", "invalid bpf_context access");
  // loaded unverified, the cheap run paths must fault, never return.
  const spec: CollectionSpec = {
    programs: [
      prog('past_end', 'r2 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 0)\nexit'),
      prog('ctx_write', 'r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 2\nexit'),
    ],
    maps: [],
    variables: [],
    license: 'GPL',
  };
  using c = load(spec, { verify: false });
  const ctx = xdpContext(c);
  const faults = (pc: number, access: 'read' | 'write') => (e: unknown) =>
    e instanceof MemoryFault && e.pc === pc && e.access === access;
  assert.throws(() => c.program('past_end').runOn(ctx), faults(1, 'read'));
  assert.throws(() => c.program('past_end').engine.runContext(ctx.struct.start), faults(1, 'read'));
  assert.throws(() => c.program('ctx_write').runOn(ctx), faults(1, 'write'));
  assert.throws(() => c.program('ctx_write').engine.runContext(ctx.struct.start), faults(1, 'write'));
  ctx.release();
});
