#!/usr/bin/env node
// Where a verification's time goes, per pass, on the example programs of
// bench/verifier.bench.ts: each pass timed alone on the same program (warm: after 500 rounds of
// all of them), best of 8 batches; "walk and rest" is the whole verification less the passes.
//   npm run build && node scripts/verifier-phases.mjs
import { readFileSync } from 'node:fs';
import { buildCfg, layout } from '../dist/src/cfg/index.js';
import { load, loadCollectionSpec, programInput, verifyProgram } from '../dist/src/index.js';
import { returnRange } from '../dist/src/verifier/calls.js';
import { liveRegisters } from '../dist/src/verifier/liveness.js';
import { liveStackSlots } from '../dist/src/verifier/stack-liveness.js';
import { precisionOf } from '../dist/src/verifier/verify-program.js';
import { EXAMPLE_PROGRAMS } from './verifier-examples.mjs';

/** Microseconds per call of `f`, best of 8 batches of `n`. */
function time(f, n) {
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < 8; b++) {
    const t0 = performance.now();
    for (let k = 0; k < n; k++) f();
    best = Math.min(best, ((performance.now() - t0) * 1000) / n);
  }
  return best;
}

const passes = ['layout', 'CFG', 'stack liveness', 'precision', 'register liveness'];
console.log(`| program | verification µs | ${passes.map((p) => `${p} µs`).join(' | ')} | walk and rest µs |`);
console.log(`|---|---|${passes.map(() => '---|').join('')}---|`);
for (const name of EXAMPLE_PROGRAMS) {
  const file = new URL(`../examples/${name}.v3.o`, import.meta.url);
  const c = load(loadCollectionSpec(new Uint8Array(readFileSync(file))), { verify: false });
  const p = c.spec.programs[0];
  const input = programInput(c.spec, p, { logLevel: 0 });
  const maps = new Map(c.spec.maps.map((m) => [m.name, m]));
  const l = layout(p.instructions);
  const cfg = buildCfg(p.instructions, { layout: l });
  const at = [];
  const kinds = [];
  for (let k = 0; k < l.kinds.length; k++) {
    at[l.slotOf[k]] = l.insns[k];
    kinds[l.slotOf[k]] = l.kinds[k];
  }
  const stack = liveStackSlots(cfg, at, kinds, maps);
  const checked = returnRange({ type: p.type, attachType: p.attachType }) !== undefined;
  const runs = [
    () => verifyProgram(input),
    () => layout(p.instructions),
    () => buildCfg(p.instructions, { layout: l }),
    () => liveStackSlots(cfg, at, kinds, maps),
    () => precisionOf(cfg, at, kinds, stack, checked),
    () => liveRegisters(cfg, at, kinds),
  ];
  for (let k = 0; k < 500; k++) for (const f of runs) f();
  const t = runs.map((f, k) => time(f, k === 0 ? 100 : 200));
  const rest = t[0] - t.slice(1).reduce((a, b) => a + b, 0);
  console.log(`| ${name} | ${t.map((v) => v.toFixed(0)).join(' | ')} | ${rest.toFixed(0)} |`);
}
