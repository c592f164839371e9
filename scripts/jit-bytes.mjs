#!/usr/bin/env node
// Prints a hash of the Wasm bytes compile() makes for bench/lb-program.ts, the benchmark's
// `straight` program and every program of every .o under examples/ and test/fixtures, one line
// each: run it in two built trees and diff the outputs to show that a change to the compiler
// left its output identical (then validation and every differential test hold unchanged).
// Usage: node scripts/jit-bytes.mjs [tree, default .] > hashes.txt
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? '.');
const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { compile } = await load('src/jit/compile.js');
const { lbInstructions } = await load('bench/lb-program.js');
const { assemble, loadCollectionSpec } = await load('src/index.js');

// Every helper id a stand-in, every lddw one address: enough to compile, not to run.
const options = {
  helpers: new Map(Array.from({ length: 220 }, (_, k) => [k, () => 0n])),
  resolveLddw: () => 0x10000n,
};
const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const line = (name, program) => {
  try {
    console.log(`${name} ${hash(compile(program, options).bytes)}`);
  } catch (e) {
    console.log(`${name} refused: ${e.message}`);
  }
};

line('lb', lbInstructions());
// The same program as bench/jit-compile.bench.ts's `straight`.
const lines = [];
for (let k = 0; lines.length < 5990; k++) {
  lines.push(`r${k % 5} = ${k}`, `*(u64 *)(r10 - ${8 * ((k % 60) + 1)}) = r${k % 5}`);
  lines.push(`r6 = *(u64 *)(r10 - ${8 * ((k % 60) + 1)})`, `r6 += r${(k + 1) % 5}`);
  lines.push(`if r6 > ${k} goto +1`, 'r7 ^= r6');
}
lines.push('r0 = r7', 'exit');
line('straight', assemble(lines.join('\n')));

const objects = (dir, out) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) objects(path, out);
    else if (name.endsWith('.o')) out.push(path);
  }
  return out;
};
for (const file of [
  ...objects(join(root, 'examples'), []),
  ...objects(join(root, 'test/fixtures'), []),
].sort()) {
  let spec;
  try {
    spec = loadCollectionSpec(new Uint8Array(readFileSync(file)));
  } catch {
    continue; // not an object this loader reads; nothing to compare
  }
  for (const p of spec.programs) line(`${file.slice(root.length + 1)}:${p.name}`, p.instructions);
}
