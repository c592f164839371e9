// VmProgram.runOn, a data path's run: a context the caller made and keeps, the CPU per run,
// the redirect outcome of each run (cleared before it), tail calls followed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../../asm/index.js';
import { load } from '../../index.js';
import type { CollectionSpec, ProgramSpec } from '../../program/index.js';
import { XdpContext } from '../context/xdp.js';

const prog = (name: string, text: string): ProgramSpec => ({
  name,
  sectionName: 'xdp',
  type: 'XDP',
  flags: 0,
  instructions: assemble(text),
  license: 'GPL',
  funcInfo: [],
  lineInfo: [],
});

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
  const ctx = XdpContext.create('XDP', c.space, {
    data: new Uint8Array(64),
    ctx: undefined,
    flags: 0,
    interfaces: c.interfaces,
  });
  assert.ok(ctx instanceof XdpContext);
  assert.equal(p.runOn(ctx, 1), 4, 'XDP_REDIRECT');
  assert.equal(p.redirect.ifindex, 3);
  assert.equal(p.runOn(ctx, 2), 22);
  assert.equal(p.redirect.ifindex, 0, 'cleared before the run');
  assert.equal(p.runOn(ctx), 2, 'the collection CPU (0) by default');
  ctx.release();
});
