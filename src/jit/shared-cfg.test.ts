// One CFG per load: the verify stage's graph goes to the engine (EngineOptions.cfg), and the JIT
// compiles from it exactly what it compiles from its own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asmProgram } from '../../test/gen/oob-cases.js';
import { assemble } from '../asm/index.js';
import { buildCfg, type Cfg } from '../cfg/index.js';
import { load } from '../index.js';
import type { CollectionSpec } from '../program/index.js';
import { type EngineOptions, loadCollection } from '../runtime/index.js';
import { compile, JitEngine } from './index.js';

const PROGRAM = assemble(`
  r0 = 0
  r2 = 3
loop:
  r0 += r2
  r2 -= 1
  if r2 != 0 goto loop
  exit
`);

const spec: CollectionSpec = {
  license: 'GPL',
  variables: [],
  maps: [],
  programs: [asmProgram('p', 'XDP', PROGRAM)],
};

test('the JIT compiles the same module from a CFG it is given as from its own', () => {
  const given = compile(PROGRAM, { cfg: buildCfg(PROGRAM) });
  assert.deepEqual(given.bytes, compile(PROGRAM).bytes);
});

test('the JIT refuses a CFG of another program', () => {
  const other = buildCfg(assemble('r0 = 0\nexit'));
  assert.throws(() => compile(PROGRAM, { cfg: other }), /the CFG given has 2 slots, the program 6/);
});

test('loadCollection hands the verify stage CFG to the engine', () => {
  const cfg = buildCfg(PROGRAM);
  const seen: (Cfg | undefined)[] = [];
  const c = loadCollection(spec, {
    verify: () => ({ cfg }),
    engine: (program, options: EngineOptions) => {
      seen.push(options.cfg);
      return new JitEngine(program, options);
    },
  });
  assert.equal(c.program('p').run({ data: new Uint8Array(64) }).retval, 6);
  assert.deepEqual(seen, [cfg]);
});

test('load verifies, and runs the program from the verified CFG on the JIT', () => {
  const c = load(spec);
  const p = c.program('p');
  assert.equal(p.engineName, 'jit');
  assert.equal(p.run({ data: new Uint8Array(64) }).retval, 6);
});
