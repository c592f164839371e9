#!/usr/bin/env node
// A/B of verifyProgram on the example programs, in one process: another checkout's build (A,
// e.g. a worktree of main) and this one's (B) are imported side by side and timed in alternating
// batches, so both see the same machine load. CPU time per verification, best batch of each side.
//   npm run build && node scripts/verifier-ab.mjs /path/to/other/checkout [ROUNDS]
// (the other checkout built too: its dist/ and examples/ are read).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const other = process.argv[2];
if (other === undefined) throw new Error('usage: node scripts/verifier-ab.mjs OTHER_CHECKOUT [ROUNDS]');
const here = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.argv[3] ?? 21);
const BATCH = 10;
// file/program: the example programs of bench/verifier.bench.ts
const PROGRAMS = [
  'xdp_count_hash/xdp_count_hash',
  'xdp_ipip/xdp_ipip_encap',
  'xdp_ringbuf/xdp_ringbuf',
  'xdp_for_each/xdp_for_each',
  'xdp_reflect/xdp_reflect',
  'xdp_bpf2bpf/xdp_bpf2bpf',
  'xdp_lpm_firewall/xdp_lpm_firewall',
  'xdp_fib/xdp_fib',
];

async function side(root) {
  const m = await import(`${root}/dist/src/index.js`);
  const list = PROGRAMS.map((fp) => {
    const [file, name] = fp.split('/');
    const raw = m.loadCollectionSpec(new Uint8Array(readFileSync(`${root}/examples/${file}.v3.o`)));
    const spec = m.load(raw, { verify: false }).spec; // CO-RE relocated, as the bench does
    const p = spec.programs.find((x) => x.name === name);
    // Spelled out (an older build has no programInput); BTF and func_info as BPF_PROG_LOAD gets them.
    const input = {
      instructions: p.instructions,
      type: p.type,
      maps: spec.maps,
      btf: spec.btf,
      funcInfo: p.funcInfo,
      logLevel: 0,
    };
    return { name, input };
  });
  return { verify: m.verifyProgram, list };
}

const sides = [await side(other), await side(here)];
const time = (s, x) => {
  const t0 = process.cpuUsage();
  for (let k = 0; k < BATCH; k++) s.verify(x.input);
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / BATCH;
};
for (const s of sides) for (let k = 0; k < 5; k++) for (const x of s.list) time(s, x);
const best = sides.map(() => new Map());
for (let r = 0; r < ROUNDS; r++)
  for (let j = 0; j < PROGRAMS.length; j++)
    for (const si of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const x = sides[si].list[j];
      best[si].set(x.name, Math.min(best[si].get(x.name) ?? Number.POSITIVE_INFINITY, time(sides[si], x)));
    }
console.log('| program | A µs | B µs | B / A |');
console.log('|---|---|---|---|');
for (const { name } of sides[0].list) {
  const a = best[0].get(name);
  const b = best[1].get(name);
  console.log(`| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)} |`);
}
